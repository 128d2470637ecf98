"""`finops estimate MANIFEST.yaml [MORE.yaml | 'jobs/*.yaml' ...] | --gpu-type H100 --gpu-count 64 --hours 72 ...`:
the CI gate.

Exit 0 within budget (or approved), 1 over budget / needs approval, 2 bad input (docs/estimate.md). With
several manifests: one report (per job and total, change vs each job's previous estimate, verdict per job
and overall); the exit code is the worst of the jobs (2 if any manifest is bad, else 1 if any job needs
approval, else 0). Markdown starts with the hidden marker `<!-- finops-estimate -->` so CI can update one
PR comment in place.
"""

from __future__ import annotations

import glob
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from apps.cli.options import EXIT_BAD_INPUT, DbOption, JsonOption
from knowledge.store import StoreError
from tools.contract import FinopsError
from tools.estimate.report import EstimateReport, JobReport
from tools.estimate_record import estimate_with_previous
from tools.manifest import ManifestError, read_manifest_file


def register(app: typer.Typer) -> None:
    app.command("estimate", help="Estimate GPU jobs or LLM batches before they launch (one or more manifests, "
                                 "files or globs); exit 0 approve, 1 over budget / needs approval, 2 bad input. "
                                 "See docs/estimate.md for the CI gate.")(estimate_command)


def estimate_command(
    manifests: Annotated[list[Path] | None, typer.Argument(
        help="YAML manifests (files or quoted globs such as 'jobs/*.yaml'); see docs/estimate.md.",
        show_default=False)] = None,
    gpu_type: Annotated[str | None, typer.Option("--gpu-type", help="GPU type, e.g. H100.")] = None,
    instance_type: Annotated[str | None, typer.Option("--instance-type", help="Instance type, e.g. p5.48xlarge, a3-highgpu-8g.")] = None,
    gpu_count: Annotated[int | None, typer.Option("--gpu-count", help="Number of GPUs.")] = None,
    hours: Annotated[str | None, typer.Option("--hours", help="Wall-clock hours.")] = None,
    steps: Annotated[int | None, typer.Option("--steps", help="Training steps (with --seconds-per-step).")] = None,
    seconds_per_step: Annotated[str | None, typer.Option("--seconds-per-step", help="Seconds per training step (with --steps).")] = None,
    region: Annotated[str | None, typer.Option("--region", help="Region (default us-east-1).")] = None,
    pricing: Annotated[str | None, typer.Option("--pricing", help="on-demand | spot | reserved.")] = None,
    providers: Annotated[str | None, typer.Option("--providers", help="Cheapest-option search: providers, e.g. 'aws,gcp'.")] = None,
    regions: Annotated[str | None, typer.Option("--regions", help="Cheapest-option search: allowed regions.")] = None,
    team: Annotated[str | None, typer.Option("--team", help="Team that pays.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Job name.")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="training | fine-tune | ... | llm-batch.")] = None,
    ttl_hours: Annotated[str | None, typer.Option("--ttl-hours", help="Hours after which the job is stopped (a time-to-live; a job still running after it is a zombie).")] = None,
    storage_gb: Annotated[str | None, typer.Option("--storage-gb", help="Storage the job keeps, in GB (priced per GB-month).")] = None,
    egress_gb: Annotated[str | None, typer.Option("--egress-gb", help="Data sent out of the cloud, in GB (priced per GB).")] = None,
    model: Annotated[str | None, typer.Option("--model", help="LLM batch: model.")] = None,
    calls: Annotated[int | None, typer.Option("--calls", help="LLM batch: number of calls.")] = None,
    input_tokens: Annotated[int | None, typer.Option("--input-tokens", help="LLM batch: input tokens per call.")] = None,
    output_tokens: Annotated[int | None, typer.Option("--output-tokens", help="LLM batch: output tokens per call.")] = None,
    cached_share: Annotated[str | None, typer.Option("--cached-share", help="LLM batch: cached input share 0-1.")] = None,
    budget: Annotated[str | None, typer.Option("--budget", help="The job's budget in USD (overrides the manifest's).")] = None,
    approval_id: Annotated[str | None, typer.Option("--approval-id", help="An approved estimate id covering this run.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="md (PR comment) | json | text.")] = "md",
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    output: str = "json" if as_json else fmt
    if output not in ("md", "json", "text"):
        _fail(f"--format must be md, json or text, not '{fmt}'", output="text")
    flags: dict[str, Any] = {
        "gpu_type": gpu_type, "instance_type": instance_type, "gpu_count": gpu_count, "hours": hours,
        "steps": steps, "seconds_per_step": seconds_per_step, "region": region, "pricing": pricing,
        "providers": providers, "regions": regions, "team": team,
        "name": name, "kind": kind, "ttl_hours": ttl_hours, "storage_gb": storage_gb, "egress_gb": egress_gb,
        "model": model, "calls": calls, "input_tokens": input_tokens, "output_tokens": output_tokens,
        "cached_share": cached_share, "budget": budget, "approval_id": approval_id,
    }
    args: dict[str, Any] = {k: v for k, v in flags.items() if v is not None}
    paths = _expand(manifests or [], output)
    if not paths and not any(k in args for k in ("gpu_type", "instance_type", "model")):
        _fail("give a manifest file, or --gpu-type/--instance-type with --gpu-count and --hours "
              "(or --kind llm-batch --model ...)", output)
    _require_store(db, output)
    if len(paths) <= 1:
        _single(paths[0] if paths else None, args, db, output)
    _several(paths, args, db, output)


def _expand(items: list[Path], output: str) -> list[Path]:
    """Files as given; a pattern with * ? [ is expanded (sorted), and matching nothing is bad input."""
    out: list[Path] = []
    for item in items:
        text = str(item)
        if any(ch in text for ch in "*?["):
            found = sorted(glob.glob(text, recursive=True))
            if not found:
                _fail(f"no manifest matches {text}", output)
            out.extend(Path(f) for f in found)
        else:
            out.append(item)
    return out


def _require_store(db: Path | str | None, output: str) -> None:
    from knowledge.bootstrap import require_store

    try:
        require_store(db)      # a named store (--db, FINOPS_DB) that does not exist: exit 2, nothing created
    except StoreError as exc:
        _fail(str(exc), output)


def _read(path: Path, args: dict[str, Any]) -> dict[str, Any]:
    """Estimate arguments for one manifest file; OSError / ManifestError pass through."""
    return {**args, "manifest": read_manifest_file(path), "manifest_name": str(path)}


def _single(path: Path | None, args: dict[str, Any], db: Path | str | None, output: str) -> None:
    """One manifest (or flags): bad input goes to stderr with nothing on stdout, as CI scripts expect."""
    if path is not None:
        try:
            args = _read(path, args)   # bounded: a huge file is refused unread
        except OSError as exc:
            _fail(f"cannot read manifest {path}: {exc.strerror or exc}", output)
        except FinopsError as exc:
            _fail(str(exc), output)
    try:
        # Computed, then recorded through the store's writer protocol (a private copy swapped in under the
        # writer lock); when the store stays busy the result says it was not recorded.
        result, previous = estimate_with_previous(db, args)
    except (StoreError, FinopsError) as exc:
        _fail(str(exc), output)
    report = EstimateReport(jobs=[JobReport(manifest=str(path) if path else "flags", result=result,
                                            previous=previous)], demo_note=_demo_note(db))
    code = report.exit_code
    if output == "json":
        payload = result.model_dump(mode="json")
        payload.update(exit_code=code, demo_data=report.demo_note is not None,
                       previous=None if previous is None else previous.model_dump(mode="json"))
        typer.echo(json.dumps(payload, indent=2))
    elif output == "md":
        typer.echo(report.markdown())
    else:
        typer.echo((f"{report.demo_note}\n" if report.demo_note else "") + result.summary())
    raise typer.Exit(code)


def _several(paths: list[Path], args: dict[str, Any], db: Path | str | None, output: str) -> None:
    jobs = [_job(path, args, db) for path in paths]
    report = EstimateReport(jobs=jobs, demo_note=_demo_note(db))
    for job in jobs:
        if job.result is None:
            typer.echo(f"error: {job.error}", err=True)
    if output == "json":
        typer.echo(json.dumps(_report_json(report), indent=2))
    elif output == "md":
        typer.echo(report.markdown())
    else:
        texts = [f"{j.manifest}: {j.result.summary() if j.result else 'bad input: ' + str(j.error)}" for j in jobs]
        typer.echo((f"{report.demo_note}\n" if report.demo_note else "") + "\n".join(texts)
                   + f"\nTotal {report.total if report.total is not None else 'unknown'}: {report.verdict}.")
    raise typer.Exit(report.exit_code)


def _job(path: Path, args: dict[str, Any], db: Path | str | None) -> JobReport:
    try:
        result, previous = estimate_with_previous(db, _read(path, args))
    except OSError as exc:
        return JobReport(manifest=str(path), error=f"cannot read manifest {path}: {exc.strerror or exc}")
    except ManifestError as exc:
        return JobReport(manifest=str(path), error=str(exc), problems=exc.problems)
    except (StoreError, FinopsError) as exc:
        return JobReport(manifest=str(path), error=str(exc), problems=list(getattr(exc, "problems", [])))
    return JobReport(manifest=str(path), result=result, previous=previous)


def _report_json(report: EstimateReport) -> dict[str, Any]:
    return {
        "jobs": [{"manifest": j.manifest, "verdict": j.verdict, "error": j.error,
                  "problems": [p.model_dump(mode="json") for p in j.problems],
                  "change_vs_previous": None if j.change is None else str(j.change),
                  "previous": None if j.previous is None else j.previous.model_dump(mode="json"),
                  "result": None if j.result is None else j.result.model_dump(mode="json")} for j in report.jobs],
        "total": None if report.total is None else str(report.total),
        "total_change_vs_previous": None if report.total_change is None else str(report.total_change),
        "verdict": report.verdict, "exit_code": report.exit_code, "demo_data": report.demo_note is not None,
    }


DEMO_NOTE = "DEMO DATA: checked against the demo company's teams and budgets (finops demo), not yours."


def _demo_note(db: Path | str | None) -> str | None:
    from knowledge.bootstrap import path_is_demo
    from knowledge.store import resolve_db_path

    return DEMO_NOTE if path_is_demo(resolve_db_path(db)) else None   # a gate on demo budgets must say so


def _fail(message: str, output: str) -> None:
    if output == "json":
        typer.echo(json.dumps({"error": message, "exit_code": EXIT_BAD_INPUT}))
    else:
        typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)
