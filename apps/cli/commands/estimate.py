"""`finops estimate MANIFEST.yaml | --gpu-type H100 --gpu-count 64 --hours 72 ...`: the CI gate.

Exit 0 within budget (or approved), 1 over budget / needs approval, 2 bad input (DESIGN.md §8).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

import typer

from apps.cli.options import EXIT_BAD_INPUT, EXIT_NEEDS_APPROVAL, EXIT_OK, DbOption, JsonOption
from knowledge.store import StoreError
from tools.contract import FinopsError
from tools.manifest import read_manifest_file
from tools.estimate_record import estimate_and_record

Format = Literal["md", "json", "text"]


def register(app: typer.Typer) -> None:
    app.command("estimate", help="Estimate a GPU job or LLM batch before it launches; exit 0 approve, "
                                 "1 over budget / needs approval, 2 bad input.")(estimate_command)


def estimate_command(
    manifest: Annotated[Optional[Path], typer.Argument(help="YAML manifest (DESIGN.md §8).", show_default=False)] = None,
    gpu_type: Annotated[Optional[str], typer.Option("--gpu-type", help="GPU type, e.g. H100.")] = None,
    instance_type: Annotated[Optional[str], typer.Option("--instance-type", help="Instance type, e.g. p5.48xlarge.")] = None,
    gpu_count: Annotated[Optional[int], typer.Option("--gpu-count", help="Number of GPUs.")] = None,
    hours: Annotated[Optional[str], typer.Option("--hours", help="Wall-clock hours.")] = None,
    steps: Annotated[Optional[int], typer.Option("--steps", help="Training steps (with --seconds-per-step).")] = None,
    seconds_per_step: Annotated[Optional[str], typer.Option("--seconds-per-step")] = None,
    region: Annotated[Optional[str], typer.Option("--region", help="Region (default us-east-1).")] = None,
    pricing: Annotated[Optional[str], typer.Option("--pricing", help="on-demand | spot | reserved.")] = None,
    team: Annotated[Optional[str], typer.Option("--team", help="Team that pays.")] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="Job name.")] = None,
    kind: Annotated[Optional[str], typer.Option("--kind", help="training | fine-tune | ... | llm-batch.")] = None,
    ttl_hours: Annotated[Optional[str], typer.Option("--ttl-hours")] = None,
    storage_gb: Annotated[Optional[str], typer.Option("--storage-gb")] = None,
    egress_gb: Annotated[Optional[str], typer.Option("--egress-gb")] = None,
    model: Annotated[Optional[str], typer.Option("--model", help="LLM batch: model.")] = None,
    calls: Annotated[Optional[int], typer.Option("--calls", help="LLM batch: number of calls.")] = None,
    input_tokens: Annotated[Optional[int], typer.Option("--input-tokens", help="LLM batch: input tokens per call.")] = None,
    output_tokens: Annotated[Optional[int], typer.Option("--output-tokens", help="LLM batch: output tokens per call.")] = None,
    cached_share: Annotated[Optional[str], typer.Option("--cached-share", help="LLM batch: cached input share 0-1.")] = None,
    budget: Annotated[Optional[str], typer.Option("--budget", help="The job's budget in USD (overrides the manifest's).")] = None,
    approval_id: Annotated[Optional[str], typer.Option("--approval-id", help="An approved estimate id covering this run.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="md (PR comment) | json | text.")] = "md",
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    output: str = "json" if as_json else fmt
    if output not in ("md", "json", "text"):
        _fail(f"--format must be md, json or text, not '{fmt}'", output="text")
    flags: dict[str, Any] = {
        "gpu_type": gpu_type, "instance_type": instance_type, "gpu_count": gpu_count, "hours": hours,
        "steps": steps, "seconds_per_step": seconds_per_step, "region": region, "pricing": pricing, "team": team,
        "name": name, "kind": kind, "ttl_hours": ttl_hours, "storage_gb": storage_gb, "egress_gb": egress_gb,
        "model": model, "calls": calls, "input_tokens": input_tokens, "output_tokens": output_tokens,
        "cached_share": cached_share, "budget": budget, "approval_id": approval_id,
    }
    args: dict[str, Any] = {k: v for k, v in flags.items() if v is not None}
    if manifest is not None:
        try:
            args["manifest"] = read_manifest_file(manifest)   # bounded: a huge file is refused unread
        except OSError as exc:
            _fail(f"cannot read manifest {manifest}: {exc.strerror or exc}", output)
        except FinopsError as exc:
            _fail(str(exc), output)
        args["manifest_name"] = str(manifest)
    elif not any(k in args for k in ("gpu_type", "instance_type", "model")):
        _fail("give a manifest file, or --gpu-type/--instance-type with --gpu-count and --hours "
              "(or --kind llm-batch --model ...)", output)
    from knowledge.bootstrap import path_is_demo, require_store
    from knowledge.store import resolve_db_path

    try:
        require_store(db)      # a named store (--db, FINOPS_DB) that does not exist: exit 2, nothing created
    except StoreError as exc:
        _fail(str(exc), output)
    try:
        # Computed and recorded through the store's writer protocol (a private copy swapped in under the
        # writer lock); when the store stays busy the result says it was not recorded.
        result = estimate_and_record(db, args)
    except (StoreError, FinopsError) as exc:
        _fail(str(exc), output)
    code = EXIT_NEEDS_APPROVAL if result.needs_approval else EXIT_OK  # type: ignore[attr-defined]
    demo = path_is_demo(resolve_db_path(db))   # a gate on the demo company's budgets must say so
    if output == "json":
        payload = result.model_dump(mode="json")
        payload["exit_code"] = code
        payload["demo_data"] = demo
        typer.echo(json.dumps(payload, indent=2))
    elif output == "md":
        typer.echo((f"> **{DEMO_NOTE}**\n\n" if demo else "") + result.markdown())  # type: ignore[attr-defined]
    else:
        typer.echo((f"{DEMO_NOTE}\n" if demo else "") + result.summary())
    raise typer.Exit(code)


DEMO_NOTE = "DEMO DATA: checked against the demo company's teams and budgets (finops demo), not yours."


def _fail(message: str, output: str) -> None:
    if output == "json":
        typer.echo(json.dumps({"error": message, "exit_code": EXIT_BAD_INPUT}))
    else:
        typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)
