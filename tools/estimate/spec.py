"""From the tool's arguments to a validated job spec, with every name resolved against the store.

Every problem is reported at once: a manifest whose gpu_count is invalid still has its team, GPU type and
model checked, each problem with its field and YAML line.
"""

from __future__ import annotations

from typing import Any

from tools.contract import FinopsError, UnknownNameError
from tools.estimate.models import EstimateArgs
from tools.manifest import JobSpec, ManifestError, ManifestProblem, build_spec, parse_manifest
from tools.names import candidates, resolve_in
from tools.registry import ToolContext

SPEC_FIELDS = ("name", "team", "kind", "gpu_type", "instance_type", "gpu_count", "hours", "steps",
               "seconds_per_step", "region", "pricing", "providers", "regions", "allow_spot", "budget", "ttl_hours",
               "storage_gb", "egress_gb", "model", "calls", "input_tokens", "output_tokens", "cached_share")


class ManifestNameError(UnknownNameError):
    """An unknown name in a manifest: a "did you mean" error that also names the field and line."""

    def __init__(self, source: str, field: str, line: int | None, err: UnknownNameError):
        self.kind, self.name, self.suggestions = err.kind, err.name, err.suggestions
        self.problems = [ManifestProblem(field=field, line=line, message=str(err))]
        FinopsError.__init__(self, f"{source}: {self.problems[0].render()}")


def name_error(spec: JobSpec, field: str, err: UnknownNameError) -> ManifestNameError:
    return ManifestNameError(spec.source, field, spec.line_of(field), err)


def job_spec(ctx: ToolContext, args: EstimateArgs) -> JobSpec:
    """The validated spec; ManifestError lists every problem (bad values and unknown names together)."""
    try:
        spec = _spec(args)
    except ManifestError as exc:
        extra = name_problems(ctx, exc.fields, exc.lines)
        if not extra:
            raise
        problems = sorted(exc.problems + extra, key=lambda p: (p.line or 0, p.field or "", p.message))
        raise ManifestError(exc.source, problems, exc.fields, exc.lines) from None
    fields = spec.model_dump(exclude_none=True)
    problems = name_problems(ctx, fields, {f: spec.line_of(f) or 0 for f in fields})
    if len(problems) > 1:
        raise ManifestError(spec.source, problems)
    return spec


def name_problems(ctx: ToolContext, fields: dict[str, Any], lines: dict[str, int]) -> list[ManifestProblem]:
    """An unknown team, GPU type, instance type or model among `fields`, each with a "did you mean"."""
    checks = (("team", "team", _teams), ("gpu_type", "GPU type", _gpu_types),
              ("instance_type", "instance type", _instance_types), ("model", "model", _models))
    problems: list[ManifestProblem] = []
    for field, kind, known_of in checks:
        value = fields.get(field)
        if not isinstance(value, str) or not value.strip():
            continue
        known = known_of(ctx)
        if not known:
            continue
        try:
            resolve_in(value.strip(), known, kind)
        except UnknownNameError as err:
            problems.append(ManifestProblem(field=field, line=lines.get(field) or None, message=str(err)))
    return problems


def _teams(ctx: ToolContext) -> list[str]:
    return candidates(ctx.con, "team")


def _gpu_types(ctx: ToolContext) -> list[str]:
    return [r["gpu_type"] for r in ctx.query(
        "SELECT DISTINCT gpu_type FROM gpu_prices WHERE gpu_type IS NOT NULL ORDER BY gpu_type")]


def _instance_types(ctx: ToolContext) -> list[str]:
    return [r["instance_type"] for r in ctx.query("SELECT DISTINCT instance_type FROM gpu_prices ORDER BY 1")]


def _models(ctx: ToolContext) -> list[str]:
    return [r["model"] for r in ctx.query("SELECT model FROM llm_prices ORDER BY model")]


def _spec(args: EstimateArgs) -> JobSpec:
    overrides = {f: getattr(args, f) for f in SPEC_FIELDS if getattr(args, f) is not None}
    if args.manifest is not None:
        spec = parse_manifest(args.manifest, args.manifest_name)
        if not overrides:
            return spec
        data = spec.model_dump(exclude_none=True, exclude_defaults=False)
        data.update(overrides)
        lines = {f: line for f in data if (line := spec.line_of(f)) is not None and f not in overrides}
        return build_spec(data, source=args.manifest_name, lines=lines)
    if "name" not in overrides:
        overrides["name"] = default_name(overrides)
    return build_spec(overrides, source="estimate arguments")


def default_name(fields: dict[str, Any]) -> str:
    if fields.get("kind") == "llm-batch" or fields.get("model"):
        return f"llm-batch-{fields.get('model', 'model')}"
    what = fields.get("gpu_type") or fields.get("instance_type") or "gpu"
    return f"adhoc-{what}x{fields.get('gpu_count', '')}".rstrip("x")


def resolve_team(ctx: ToolContext, spec: JobSpec) -> str | None:
    if spec.team is None:
        return None
    known = candidates(ctx.con, "team")
    if not known:
        ctx.note(f"the store knows no teams; team '{spec.team}' taken as given (no team budget to check)")
        return spec.team
    try:
        return resolve_in(spec.team.strip(), known, "team")
    except UnknownNameError as exc:
        raise name_error(spec, "team", exc) from None
