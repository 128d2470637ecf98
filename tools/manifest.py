"""Job manifests (the README's `finops estimate` section): parse YAML into a validated spec, with errors naming field and line.

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
    providers: aws, gcp        # optional: where the cheapest-option search may look (default: all)
    regions: us-east-1, us-central1   # optional (default: any region)
    allow_spot: false          # optional (default true: spot is offered as an option)

    kind: llm-batch            # plus name, team, model, calls, input_tokens, output_tokens,
                               # optional cached_share (0..1) and budget

Numbers are read from the YAML text itself (`72.5` becomes Decimal('72.5'), never a binary float),
and a quoted number or a boolean where a number belongs is an error, not a silent conversion.

Manifests come from CI and from Slack, so the reader is strict and bounded (issue 16): a document over
MAX_MANIFEST_BYTES, nested deeper than MAX_DEPTH, or using anchors/aliases (`&a`, `*a`: the "billion
laughs" bomb) or explicit tags (`!!int`) is refused before any value is built. Plain scalars are typed
by the YAML 1.2 core rules, stricter still: decimal numbers only, so YAML 1.1's `1:30` (90), `010` (8),
`0x10` (16), `1_000` and `yes` are never numbers (a leading zero is refused outright). Error messages
clip the values they show.
Names (team, GPU type, model) are checked against the store by the estimate tool, which reports the
manifest line through `ManifestSpec.line_of`.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
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

    def __init__(self, source: str, problems: list[ManifestProblem], fields: dict[str, Any] | None = None,
                 lines: dict[str, int] | None = None):
        self.source, self.problems = source, problems
        # The fields as read (when the YAML itself parsed), so a caller can check names too and report
        # every problem at once.
        self.fields: dict[str, Any] = dict(fields or {})
        self.lines: dict[str, int] = dict(lines or {})
        if len(problems) == 1:
            text = f"{source}: {problems[0].render()}"
        else:
            text = f"{source}: {len(problems)} problems:\n" + "\n".join(f"  {p.render()}" for p in problems)
        super().__init__(text)


MAX_MANIFEST_BYTES = 64 * 1024   # a real manifest is a few hundred bytes
MAX_DEPTH = 8                    # fields are scalars; a list or mapping value is refused anyway
MAX_SHOWN = 40                   # characters of a value quoted in an error message
MAX_EXPONENT = 15                # |number| < 10**16: no job costs more, and no bigint blow-up

# YAML 1.1 number forms that YAML 1.2 (and this reader) keeps as text: sexagesimal, hex, octal, binary,
# digit separators. Named in the error so `hours: 1:30` says why it is not 90.
_YAML11_NUMBER = re.compile(r"^[-+]?(0[xob][0-9a-fA-F_]+|[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?|[0-9][0-9_]*_[0-9_]*(\.[0-9_]*)?)$")


def clip(value: Any, limit: int = MAX_SHOWN) -> str:
    """A value as an error message shows it: text quoted, anything long cut (never a whole document)."""
    if isinstance(value, str):
        body = value if len(value) <= limit else f"{value[:limit]}… ({len(value):,} characters)"
        return f"'{body}'"
    if isinstance(value, (list, tuple, dict)):
        return f"a {'mapping' if isinstance(value, dict) else 'list'} of {len(value)} items"
    text = str(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


def _number(value: Any, *, whole: bool = False) -> Any:
    """Accept ints and exact decimals; refuse booleans and text (YAML `yes`, `"72"`, `eight`, `1:30`)."""
    if value is None:
        return None
    if isinstance(value, bool) or isinstance(value, str) or not isinstance(value, (int, float, Decimal)):
        hint = ""
        if isinstance(value, str) and _YAML11_NUMBER.match(value.strip()):
            hint = " (forms like 1:30, 0x10, 0o10, 1_000 are not read as numbers; write a plain decimal such as 1.5)"
        raise ValueError(f"expected {'a whole number' if whole else 'a number'}, got {clip(value)}{hint}")
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    if not d.is_finite():
        raise ValueError(f"expected a finite number, got {clip(value)}")
    if d and d.adjusted() > MAX_EXPONENT:
        raise ValueError(f"number out of range, got {clip(value)}")
    if whole:
        if d != d.to_integral_value():
            raise ValueError(f"expected a whole number, got {clip(value)}")
        return int(d)
    return d


def _text(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"expected text, got {clip(value)}")


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
    # Constraints for the cheapest-option search (comma-separated lists; default: any).
    providers: str | None = None
    regions: str | None = None
    allow_spot: bool = Field(True, strict=True)

    @field_validator("gpu_type", "instance_type", "region", "providers", "regions", mode="before")
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
    def _consistent(self) -> GpuJobSpec:
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
    given = dict(data)
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
            problems.append(ManifestProblem(field=_name(key), line=lines.get(key),
                                            message=f"unknown field{extra}"))
            del data[key]
    try:
        spec = model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            problems.append(_problem_from(err, lines, start_line))
        raise ManifestError(source, _sorted(problems), given, lines) from None
    if problems:
        raise ManifestError(source, _sorted(problems), given, lines)
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
        msg = f"got {_shown(err.get('input'))}; {msg[0].lower()}{msg[1:]}"
    elif "input" in err and field and err.get("type") not in ("value_error",):
        msg = f"{msg.replace('Input should be', 'must be')}, got {_shown(err['input'])}"
    line = lines.get(field) if field else None
    if line is None and (field is None or field not in lines):
        line = start_line
    return ManifestProblem(field=field, line=line, message=msg)


def _shown(value: Any) -> str:
    return clip(value)


def _sorted(problems: list[ManifestProblem]) -> list[ManifestProblem]:
    return sorted(problems, key=lambda p: (p.line or 0, p.field or "", p.message))


def read_manifest_file(path: Path) -> str:
    """A manifest file's text, reading at most MAX_MANIFEST_BYTES + 1 bytes (a huge file is never loaded).
    OSError passes through; too large or not UTF-8 is a ManifestError."""
    with open(path, "rb") as fh:
        raw = fh.read(MAX_MANIFEST_BYTES + 1)
    if len(raw) > MAX_MANIFEST_BYTES:
        raise ManifestError(str(path), [ManifestProblem(
            message=f"too large (over {MAX_MANIFEST_BYTES // 1024} KB; a manifest is a few lines)")])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestError(str(path), [ManifestProblem(message=f"not UTF-8 text (byte {exc.start})")]) from None


def _loader(text: str, source: str) -> yaml.SafeLoader:
    """A YAML event reader of `text`; a control character (refused as the reader starts) is a ManifestError."""
    try:
        return yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        raise ManifestError(source, [ManifestProblem(
            line=line, message=f"character U+{code:04X} is not allowed in a manifest (not printable text)")]) from None


def parse_manifest(text: str, source: str = "manifest") -> JobSpec:
    """Parse YAML manifest text into a spec; ManifestError names each bad field and its line.

    The YAML is read as a stream of events (never composed into a graph), so anchors, aliases, tags and
    deep nesting are refused before anything is built."""
    size = len(text.encode("utf-8", "surrogatepass")) if len(text) * 4 > MAX_MANIFEST_BYTES else len(text)
    if size > MAX_MANIFEST_BYTES:
        raise ManifestError(source, [ManifestProblem(
            message=f"too large ({size:,} bytes; the limit is {MAX_MANIFEST_BYTES // 1024} KB)")])
    loader = _loader(text, source)
    try:
        try:
            start_line, data, lines, problems = _read_mapping(loader)
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
            raise ManifestError(source, [ManifestProblem(message=f"not valid YAML: {clip(str(exc), 200)}")]) from None
        except _Refused as exc:
            raise ManifestError(source, [exc.problem]) from None
        if problems:
            raise ManifestError(source, problems)
    finally:
        loader.dispose()
    return build_spec(data, source=source, lines=lines, require_team=True, start_line=start_line)


class _Refused(Exception):
    """A construct the manifest reader does not accept (alias, anchor, tag, depth): stop at once."""

    def __init__(self, problem: ManifestProblem):
        super().__init__(problem.message)
        self.problem = problem


def _name(key: str) -> str:
    """A field name as errors show it (a 60 KB key is cut)."""
    return key if len(key) <= MAX_SHOWN else f"{key[:MAX_SHOWN]}…"


def _line(event: Any) -> int | None:
    return event.start_mark.line + 1 if getattr(event, "start_mark", None) else None


def _guard(event: Any) -> None:
    """Refuse aliases, anchors and explicit tags (billion laughs, !!python/…, !!int 0x10)."""
    if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
        raise _Refused(ManifestProblem(line=_line(event), message="anchors and aliases (&name, *name) are not allowed "
                                                                 "in a manifest; write each value out"))
    if getattr(event, "tag", None) is not None:
        raise _Refused(ManifestProblem(line=_line(event), message="YAML tags (such as !!int or !tag) are not allowed "
                                                                 "in a manifest"))


def _read_mapping(loader: yaml.SafeLoader) -> tuple[int, dict[str, Any], dict[str, int], list[ManifestProblem]]:
    """Walk the event stream of one document holding one flat mapping of scalar fields."""
    loader.get_event()                                    # StreamStart
    if loader.check_event(yaml.StreamEndEvent):
        raise _Refused(ManifestProblem(message="empty manifest (expected fields such as name, team, gpu_type)"))
    loader.get_event()                                    # DocumentStart
    top = loader.get_event()
    _guard(top)
    if isinstance(top, yaml.ScalarEvent) and top.value == "" and top.implicit[0]:
        raise _Refused(ManifestProblem(message="empty manifest (expected fields such as name, team, gpu_type)"))
    if not isinstance(top, yaml.MappingStartEvent):
        raise _Refused(ManifestProblem(line=_line(top), message="expected a mapping of fields (name: ..., team: ...)"))
    data: dict[str, Any] = {}
    lines: dict[str, int] = {}
    problems: list[ManifestProblem] = []
    while not loader.check_event(yaml.MappingEndEvent):
        key_event = loader.get_event()
        _guard(key_event)
        line = _line(key_event) or 0
        if not isinstance(key_event, yaml.ScalarEvent):
            _skip(loader, key_event)
            _skip(loader, _guarded(loader))
            problems.append(ManifestProblem(line=line, message="a field name must be plain text"))
            continue
        key = key_event.value
        value_event = _guarded(loader)
        if key in lines:
            _skip(loader, value_event)
            problems.append(ManifestProblem(field=_name(key), line=line,
                                            message=f"given twice (first on line {lines[key]})"))
            continue
        lines[key] = line
        if not isinstance(value_event, yaml.ScalarEvent):
            what = "list" if isinstance(value_event, yaml.SequenceStartEvent) else "mapping"
            _skip(loader, value_event)
            problems.append(ManifestProblem(field=_name(key), line=line,
                                            message=f"expected a single value, got a {what}"))
            continue
        try:
            data[key] = core_scalar(value_event.value, plain=value_event.implicit[0])
        except ValueError as exc:
            problems.append(ManifestProblem(field=_name(key), line=line, message=str(exc)))
    loader.get_event()                                    # MappingEnd
    loader.get_event()                                    # DocumentEnd
    if not loader.check_event(yaml.StreamEndEvent):
        extra = loader.peek_event()
        raise _Refused(ManifestProblem(line=_line(extra), message="expected one document, found more (---)"))
    return _line(top) or 1, data, lines, problems


def _guarded(loader: yaml.SafeLoader) -> Any:
    event = loader.get_event()
    _guard(event)
    return event


def _skip(loader: yaml.SafeLoader, event: Any) -> None:
    """Consume the rest of a list/mapping that started with `event`, refusing depth over MAX_DEPTH."""
    if not isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
        return
    depth = 1
    while depth:
        event = _guarded(loader)
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise _Refused(ManifestProblem(line=_line(event), message=f"nested more than {MAX_DEPTH} levels deep "
                                                                         "(a manifest is a flat list of fields)"))
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1


_NULL = {"", "~", "null", "Null", "NULL"}
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(inf|Inf|INF)$")
_NAN = re.compile(r"^\.(nan|NaN|NAN)$")
_LEADING_ZERO = re.compile(r"^[-+]?0[0-9]")


def core_scalar(text: str, *, plain: bool = True) -> Any:
    """A scalar typed by the YAML 1.2 core schema (decimal numbers only; floats as exact Decimals).

    Quoted text stays text. A leading zero (`010`: octal 8 in YAML 1.1, 10 in 1.2) is refused as
    ambiguous. Everything that is not null, a boolean or a decimal number is text."""
    if not plain:
        return text
    if text in _NULL:
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.match(text) or _FLOAT.match(text):
        if _LEADING_ZERO.match(text):
            raise ValueError(f"{clip(text)} has a leading zero (YAML 1.1 reads it as octal); write it without")
        if _INT.match(text) and len(text) <= 18:
            return int(text)
        return Decimal(text)
    if _INF.match(text):
        return float("-inf") if text.startswith("-") else float("inf")
    if _NAN.match(text):
        return float("nan")
    return text
