"""Job manifests (DESIGN.md §8): parse YAML into a validated spec, with errors naming field and line.

Two kinds of manifest:

    name: llama-70b-sft        # required
    team: search               # required
    kind: training             # training | fine-tune | batch-inference | experiment | sweep
    gpu_type: H100             # or instance_type: p5.48xlarge
    gpu_count: 64
    hours: 72                  # or steps: 120000 and seconds_per_step: 2.1
    region: us-east-1
    pricing: on-demand         # on-demand | spot | reserved
    budget: 40000              # optional, USD
    ttl_hours: 96              # optional
    storage_gb: 2000           # optional; egress_gb too (priced with documented defaults)

    kind: llm-batch            # plus name, team, model, calls, input_tokens, output_tokens,
                               # optional cached_share (0..1) and budget

Numbers are read from the YAML text itself (`72.5` becomes Decimal('72.5'), never a binary float),
and a quoted number or a boolean where a number belongs is an error, not a silent conversion.
Names (team, GPU type, model) are checked against the store by the estimate tool, which reports the
manifest line through `ManifestSpec.line_of`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from tools.contract import FinopsError
from tools.names import suggest

GpuKind = Literal["training", "fine-tune", "batch-inference", "experiment", "sweep"]
Pricing = Literal["on-demand", "spot", "reserved"]


class ManifestProblem(BaseModel):
    field: str | None = None
    line: int | None = None
    message: str

    def render(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        what = f"{self.field}: " if self.field else ""
        return f"{where}{what}{self.message}"


class ManifestError(FinopsError):
    """A manifest (or estimate arguments) that cannot be estimated; lists every problem found."""

    def __init__(self, source: str, problems: list[ManifestProblem]):
        self.source, self.problems = source, problems
        if len(problems) == 1:
            text = f"{source}: {problems[0].render()}"
        else:
            text = f"{source}: {len(problems)} problems:\n" + "\n".join(f"  {p.render()}" for p in problems)
        super().__init__(text)


def _number(value: Any, *, whole: bool = False) -> Any:
    """Accept ints and exact decimals; refuse booleans and text (YAML `yes`, `"72"`, `eight`)."""
    if value is None:
        return None
    if isinstance(value, bool) or isinstance(value, str) or not isinstance(value, (int, float, Decimal)):
        shown = f"'{value}'" if isinstance(value, str) else repr(value)
        raise ValueError(f"expected {'a whole number' if whole else 'a number'}, got {shown}")
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    if not d.is_finite():
        raise ValueError(f"expected a finite number, got {value}")
    if whole:
        if d != d.to_integral_value():
            raise ValueError(f"expected a whole number, got {value}")
        return int(d)
    return d


def _text(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"expected text, got {value!r}")


class ManifestSpec(BaseModel):
    """Fields every manifest has. `line_of(field)` gives the YAML line a field came from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    team: str | None = None
    budget: Decimal | None = Field(None, ge=0)
    project: str | None = None
    owner: str | None = None

    _lines: dict[str, int] = PrivateAttr(default_factory=dict)
    _source: str = PrivateAttr(default="arguments")

    def line_of(self, field: str) -> int | None:
        return self._lines.get(field)

    @property
    def source(self) -> str:
        return self._source

    def problem(self, field: str, message: str) -> ManifestError:
        """A ManifestError about one field, with its line when the spec came from YAML."""
        return ManifestError(self._source, [ManifestProblem(field=field, line=self.line_of(field), message=message)])

    @field_validator("name", "team", "project", "owner", mode="before")
    @classmethod
    def _texts(cls, v: Any) -> Any:
        return _text(v)

    @field_validator("budget", mode="before")
    @classmethod
    def _money(cls, v: Any) -> Any:
        return _number(v)


class GpuJobSpec(ManifestSpec):
    """A GPU job to estimate: GPUs x hours x catalog price, plus optional storage and egress."""

    kind: GpuKind = "training"
    gpu_type: str | None = None
    instance_type: str | None = None
    gpu_count: int | None = Field(None, gt=0, le=100_000)
    hours: Decimal | None = Field(None, gt=0)
    steps: int | None = Field(None, gt=0)
    seconds_per_step: Decimal | None = Field(None, gt=0)
    region: str = "us-east-1"
    pricing: Pricing = "on-demand"
    ttl_hours: Decimal | None = Field(None, gt=0)
    storage_gb: Decimal | None = Field(None, ge=0)
    egress_gb: Decimal | None = Field(None, ge=0)
    storage_usd_per_gb_month: Decimal | None = Field(None, ge=0)
    egress_usd_per_gb: Decimal | None = Field(None, ge=0)

    @field_validator("gpu_type", "instance_type", "region", mode="before")
    @classmethod
    def _gpu_texts(cls, v: Any) -> Any:
        return _text(v)

    @field_validator("gpu_count", "steps", mode="before")
    @classmethod
    def _whole(cls, v: Any) -> Any:
        return _number(v, whole=True)

    @field_validator("hours", "seconds_per_step", "ttl_hours", "storage_gb", "egress_gb",
                     "storage_usd_per_gb_month", "egress_usd_per_gb", mode="before")
    @classmethod
    def _decimals(cls, v: Any) -> Any:
        return _number(v)

    @model_validator(mode="after")
    def _consistent(self) -> "GpuJobSpec":
        if not self.gpu_type and not self.instance_type:
            raise ValueError("gpu_type: missing (give gpu_type, e.g. H100, or instance_type, e.g. p5.48xlarge)")
        if not self.instance_type and self.gpu_count is None:
            raise ValueError("gpu_count: missing (how many GPUs)")
        has_steps = self.steps is not None or self.seconds_per_step is not None
        if self.hours is not None and has_steps:
            raise ValueError("hours: give either hours or steps with seconds_per_step, not both")
        if self.hours is None and not has_steps:
            raise ValueError("hours: missing (give hours, or steps and seconds_per_step)")
        if has_steps and (self.steps is None or self.seconds_per_step is None):
            missing = "seconds_per_step" if self.seconds_per_step is None else "steps"
            raise ValueError(f"{missing}: missing (steps and seconds_per_step go together)")
        return self

    @property
    def run_hours(self) -> Decimal:
        """Wall-clock hours: `hours`, or steps x seconds_per_step / 3600."""
        if self.hours is not None:
            return self.hours
        assert self.steps is not None and self.seconds_per_step is not None
        return Decimal(self.steps) * self.seconds_per_step / Decimal(3600)


class LlmBatchSpec(ManifestSpec):
    """An LLM batch to estimate: calls x (input, output tokens) x the model's per-token prices."""

    kind: Literal["llm-batch"] = "llm-batch"
    model: str
    calls: int = Field(gt=0)
    input_tokens: int = Field(ge=0)
    output_tokens: int = Field(ge=0)
    cached_share: Decimal = Field(Decimal(0), ge=0, le=1)

    @field_validator("model", mode="before")
    @classmethod
    def _model_text(cls, v: Any) -> Any:
        return _text(v)

    @field_validator("calls", "input_tokens", "output_tokens", mode="before")
    @classmethod
    def _whole(cls, v: Any) -> Any:
        return _number(v, whole=True)

    @field_validator("cached_share", mode="before")
    @classmethod
    def _share(cls, v: Any) -> Any:
        return Decimal(0) if v is None else _number(v)


JobSpec = GpuJobSpec | LlmBatchSpec

_ALL_FIELDS = sorted(set(GpuJobSpec.model_fields) | set(LlmBatchSpec.model_fields))


def build_spec(data: dict[str, Any], *, source: str = "arguments", lines: dict[str, int] | None = None,
               require_team: bool = False, start_line: int | None = None) -> JobSpec:
    """Validate a mapping of manifest fields into a spec; every problem is reported at once."""
    lines = lines or {}
    data = {k: v for k, v in data.items()}
    problems: list[ManifestProblem] = []
    if require_team and data.get("team") in (None, ""):
        problems.append(ManifestProblem(field="team", line=start_line, message="missing (the team that pays)"))
    model: type[GpuJobSpec] | type[LlmBatchSpec] = LlmBatchSpec if data.get("kind") == "llm-batch" else GpuJobSpec
    for key in list(data):
        if key not in model.model_fields:
            hint = suggest(key, _ALL_FIELDS, limit=1)
            extra = f" (did you mean '{hint[0]}'?)" if hint and hint[0] != key else ""
            if key in _ALL_FIELDS:
                extra = f" (not used by kind '{data.get('kind', 'training')}')"
            problems.append(ManifestProblem(field=key, line=lines.get(key), message=f"unknown field{extra}"))
            del data[key]
    try:
        spec = model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            problems.append(_problem_from(err, lines, start_line))
        raise ManifestError(source, _sorted(problems)) from None
    if problems:
        raise ManifestError(source, _sorted(problems))
    spec._lines = dict(lines)
    spec._source = source
    return spec


def _problem_from(err: Any, lines: dict[str, int], start_line: int | None) -> ManifestProblem:
    loc = [str(p) for p in err.get("loc", ())]
    field = loc[0] if loc else None
    msg = str(err.get("msg", "invalid"))
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    # Model-level checks name their field as "field: message".
    if field is None and ": " in msg and msg.split(": ", 1)[0] in _ALL_FIELDS:
        field, msg = msg.split(": ", 1)
    if err.get("type") == "missing":
        msg = "missing (required)"
    elif err.get("type") == "literal_error":
        msg = f"got '{err.get('input')}'; {msg[0].lower()}{msg[1:]}"
    elif "input" in err and field and err.get("type") not in ("value_error",):
        msg = f"{msg.replace('Input should be', 'must be')}, got {_shown(err['input'])}"
    line = lines.get(field) if field else None
    if line is None and (field is None or field not in lines):
        line = start_line
    return ManifestProblem(field=field, line=line, message=msg)


def _shown(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    return f"'{value}'" if isinstance(value, str) else repr(value)


def _sorted(problems: list[ManifestProblem]) -> list[ManifestProblem]:
    return sorted(problems, key=lambda p: (p.line or 0, p.field or "", p.message))


def parse_manifest(text: str, source: str = "manifest") -> JobSpec:
    """Parse YAML manifest text into a spec; ManifestError names each bad field and its line."""
    loader = yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            # The context mark is where the broken construct starts (an unclosed [ or quote);
            # the problem mark is where the parser gave up. Name the first, mention the second.
            mark = exc.context_mark or exc.problem_mark
            line = mark.line + 1 if mark else None
            detail = " ".join(p for p in (exc.context, exc.problem) if p)
            if exc.context_mark and exc.problem_mark and exc.problem_mark.line != exc.context_mark.line:
                detail += f" (on line {exc.problem_mark.line + 1})"
            raise ManifestError(source, [ManifestProblem(line=line, message=f"not valid YAML: {detail}")]) from None
        except yaml.YAMLError as exc:
            raise ManifestError(source, [ManifestProblem(message=f"not valid YAML: {exc}")]) from None
        if node is None:
            raise ManifestError(source, [ManifestProblem(message="empty manifest (expected fields such as name, team, gpu_type)")])
        if not isinstance(node, yaml.MappingNode):
            raise ManifestError(source, [ManifestProblem(line=node.start_mark.line + 1,
                                                         message="expected a mapping of fields (name: ..., team: ...)")])
        data: dict[str, Any] = {}
        lines: dict[str, int] = {}
        problems: list[ManifestProblem] = []
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(ManifestProblem(line=line, message="a field name must be plain text"))
                continue
            key = str(key_node.value)
            if key in lines:
                problems.append(ManifestProblem(field=key, line=line, message=f"given twice (first on line {lines[key]})"))
                continue
            lines[key] = line
            try:
                data[key] = _scalar(loader, value_node)
            except (yaml.YAMLError, InvalidOperation) as exc:
                problems.append(ManifestProblem(field=key, line=line, message=f"cannot read value: {exc}"))
        if problems:
            raise ManifestError(source, problems)
    finally:
        loader.dispose()
    return build_spec(data, source=source, lines=lines, require_team=True, start_line=node.start_mark.line + 1)


def _scalar(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """A field's value; YAML floats become exact Decimals from their text."""
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:float":
        text = node.value.replace("_", "").lower()
        if text in (".inf", "+.inf", "-.inf", ".nan"):
            return float(text.replace(".", ""))
        return Decimal(text)
    return loader.construct_object(node, deep=True)
