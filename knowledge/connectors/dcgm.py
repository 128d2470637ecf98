"""`finops ingest dcgm`: NVIDIA dcgm-exporter metrics -> `gpu_utilization` (one row per time, GPU and
metric), so waste and unit-cost tools can use measured utilisation instead of requested GPUs.

Inputs: a Prometheus text scrape of the exporter's /metrics, or the JSON a Prometheus query API returns
(`/api/v1/query_range` matrix or `/api/v1/query` vector). Three metrics are loaded, the rest skipped:
- DCGM_FI_DEV_GPU_UTIL (%, stored divided by 100 as `gpu_util`, 0..1),
- DCGM_FI_PROF_GR_ENGINE_ACTIVE (ratio, `gr_engine_active`, 0..1; the better measure when present),
- DCGM_FI_DEV_FB_USED (MiB, `fb_used_mib`);
also the pre-2.0 exporter names dcgm_gpu_utilization and dcgm_fb_used.
Labels: `hostname` (or `Hostname`, exporters before 2026-05), `gpu`, `UUID`, `device`, `modelName`,
`pci_bus_id`, MIG `GPU_I_ID`/`GPU_I_PROFILE`, and Kubernetes `namespace`/`pod`/`container` (or their
`exported_` forms after Prometheus relabelling). A sample of a loaded metric with no GPU identity (no
gpu, UUID, hostname or pod label) or an out-of-range / non-finite value is quarantined with its line.

Time: a text sample's own timestamp (ms) if it has one, else `--scraped-at`, else the file's
modification time (stdin: now); JSON values carry their time. Range-query values are quarantined at
the line of their series. The view `gpu_utilization_workloads` matches samples to endpoints and GPU jobs
by pod or hostname (see knowledge/schema.py, migration 3).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from knowledge.connectors.inputs import InputDoc
from knowledge.connectors.jsonpages import Broken, clip, documents, looks_like_json
from knowledge.connectors.records import ConnectorOptions, Parsed, Reject
from knowledge.connectors.values import BadValue, checked_time
from knowledge.ingest.errors import IngestError
from knowledge.ingest.limits import RANGE_TEXT

KIND = "dcgm"
# metric name -> (stored metric, divisor, upper bound of the raw value or None)
METRICS: dict[str, tuple[str, float, float | None]] = {
    "DCGM_FI_DEV_GPU_UTIL": ("gpu_util", 100.0, 100.0),
    "DCGM_FI_PROF_GR_ENGINE_ACTIVE": ("gr_engine_active", 1.0, 1.0),
    "DCGM_FI_DEV_FB_USED": ("fb_used_mib", 1.0, None),
    "dcgm_gpu_utilization": ("gpu_util", 100.0, 100.0),
    "dcgm_fb_used": ("fb_used_mib", 1.0, None),
}
# stored column -> label names, first present wins
LABELS: dict[str, tuple[str, ...]] = {
    "hostname": ("hostname", "Hostname"),
    "gpu": ("gpu",),
    "uuid": ("UUID", "uuid", "gpu_uuid"),
    "device": ("device",),
    "model_name": ("modelName",),
    "pci_bus_id": ("pci_bus_id",),
    "gpu_instance_id": ("GPU_I_ID",),
    "gpu_instance_profile": ("GPU_I_PROFILE",),
    "namespace": ("namespace", "exported_namespace"),
    "pod": ("pod", "exported_pod"),
    "container": ("container", "exported_container"),
}
_SAMPLE = re.compile(r"([A-Za-z_:][A-Za-z0-9_:]*)\s*(?:\{(.*)\})?\s+(\S+)(?:\s+(-?\d+))?\s*")
_LABEL = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)')
_ESCAPES = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}


def _labels(body: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    if not body or not body.strip():
        return out
    pos = 0
    while pos < len(body):
        m = _LABEL.match(body, pos)
        if not m or m.end() == pos:
            raise BadValue(f"cannot read the labels at {body[pos:pos + 30]!r}")
        out[m.group(1)] = re.sub(r"\\[\\\"n]", lambda e: _ESCAPES[e.group()], m.group(2))
        pos = m.end()
        if m.group(3) == "":
            break
    return out


def to_row(metric: str, labels: dict[str, str], raw_value: str, ts: datetime) -> dict[str, Any]:
    stored, divisor, upper = METRICS[metric]
    try:
        value = float(raw_value)
    except ValueError:
        raise BadValue(f"{metric}: not a number {raw_value[:40]!r}") from None
    if not math.isfinite(value):
        raise BadValue(f"{metric}: not a finite number {raw_value!r}")
    if value < 0 or (upper is not None and value > upper):
        raise BadValue(f"{metric}: {raw_value} is out of range (0 to {upper:g})" if upper is not None
                       else f"{metric}: {raw_value} is negative")
    checked_time(ts, f"{metric}: sample time")  # also a --scraped-at or file time of 1970 (a zero mtime)
    row: dict[str, Any] = {"ts": ts, "metric": stored, "value": value / divisor}
    for column, names in LABELS.items():
        row[column] = next((labels[n] for n in names if labels.get(n)), None)
    if not any(row[c] for c in ("gpu", "uuid", "hostname", "pod")):
        raise BadValue(f"{metric}: no GPU labels (gpu, UUID, hostname or pod): the sample names no GPU")
    row["x_key"] = (ts, stored, row["hostname"], row["gpu"], row["uuid"], row["gpu_instance_id"])
    return row


def _unix(metric: str, value: Any, per_second: int) -> datetime:
    """A sample time given in Unix seconds (per_second=1) or milliseconds (1000), checked for range."""
    try:
        t = datetime.fromtimestamp(float(Decimal(str(value)) / per_second), UTC).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError, ArithmeticError):
        raise BadValue(f"{metric}: sample time {str(value)[:40]} is out of range ({RANGE_TEXT})") from None
    return checked_time(t, f"{metric}: sample time", value)


def _sample_time(metric: str, ms: str) -> datetime:
    return _unix(metric, ms, 1000)


def _default_time(doc: InputDoc, options: ConnectorOptions, parsed: Parsed) -> datetime:
    if options.scraped_at is not None:
        t = options.scraped_at
        return t if t.tzinfo is None else t.astimezone(UTC).replace(tzinfo=None)
    if doc.modified is not None:
        parsed.note(f"samples without a timestamp are dated by the file's modification time "
                    f"{doc.modified:%Y-%m-%d %H:%M:%S} UTC (use --scraped-at to set it)")
        return doc.modified
    now = datetime.now(UTC).replace(tzinfo=None)
    parsed.note(f"samples without a timestamp are dated now, {now:%Y-%m-%d %H:%M:%S} UTC (use --scraped-at)")
    return now


def _text(doc: InputDoc, body: str, options: ConnectorOptions, parsed: Parsed) -> None:
    default: datetime | None = None
    skipped = 0
    for n, line in enumerate(body.splitlines(), start=1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        m = _SAMPLE.fullmatch(s)
        name = m.group(1) if m else s.split("{", 1)[0].split()[0]
        if name not in METRICS:
            skipped += 1
            continue
        try:
            if not m:
                raise BadValue("not a Prometheus sample line")
            if m.group(4) is not None:
                ts = _sample_time(name, m.group(4))
            else:
                if default is None:
                    default = _default_time(doc, options, parsed)
                ts = default
            row = to_row(name, _labels(m.group(2)), m.group(3), ts)
        except BadValue as exc:
            parsed.rejects.append(Reject(n, str(exc), clip(line)))
            continue
        row["x_line"] = n
        parsed.rows.append(row)
    if skipped:
        parsed.note(f"{skipped} sample(s) of other metrics skipped (loaded: GPU_UTIL, PROF_GR_ENGINE_ACTIVE, FB_USED)")
    if not parsed.rows and not parsed.rejects and not skipped:
        raise IngestError(f"{doc.shown}: no Prometheus samples found")


def _series(value: Any) -> Iterator[Any]:
    data = value.get("data") if isinstance(value, dict) else None
    result = data.get("result") if isinstance(data, dict) else None
    if isinstance(result, list):
        yield from result


def _json(doc: InputDoc, options: ConnectorOptions, parsed: Parsed) -> None:
    skipped = 0
    found = False
    for item in documents(doc.text_chunks()):
        if isinstance(item, Broken):
            parsed.rejects.append(Reject(item.line, f"unreadable JSON (truncated or invalid): {item.error}", item.text))
            break
        value = item.value
        if isinstance(value, dict) and value.get("status") == "error":
            raise IngestError(f"{doc.shown}: Prometheus answered an error: {str(value.get('error'))[:200]}")
        if not isinstance(value, dict) or not isinstance(value.get("data"), dict):
            raise IngestError(f"{doc.shown}: not a Prometheus query response (no data.result)")
        found = True
        for series in _series(value):
            at = series if isinstance(series, dict) else None
            line = item.line(at)
            if not isinstance(series, dict) or not isinstance(series.get("metric"), dict):
                parsed.rejects.append(Reject(line, "series has no 'metric' labels", clip(repr(series))))
                continue
            labels = {str(k): str(v) for k, v in series["metric"].items()}
            name = labels.get("__name__") or options.metric
            pairs = series.get("values") if "values" in series else [series.get("value")]
            if name not in METRICS:
                if name is None:
                    parsed.rejects.extend(Reject(line, "series has no __name__ label: say which metric with --metric",
                                                 item.source(at)) for _ in (pairs if isinstance(pairs, list) else [0]))
                else:
                    skipped += len(pairs) if isinstance(pairs, list) else 1
                continue
            for pair in pairs if isinstance(pairs, list) else [pairs]:
                try:
                    if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], (int, Decimal))
                            and not isinstance(pair[0], bool)):
                        raise BadValue(f"{name}: a value is not [time, \"value\"]: {str(pair)[:40]}")
                    ts = _unix(name, pair[0], 1)
                    row = to_row(name, labels, str(pair[1]), ts)
                except (BadValue, OverflowError, OSError, ValueError) as exc:
                    reason = str(exc) if isinstance(exc, BadValue) else f"{name}: bad time {str(pair)[:40]}"
                    parsed.rejects.append(Reject(line, reason, clip(f"{labels} {pair}")))
                    continue
                row["x_line"] = line
                parsed.rows.append(row)
    if not found and not parsed.rejects:
        raise IngestError(f"{doc.shown}: no Prometheus query response found")
    if skipped:
        parsed.note(f"{skipped} value(s) of other metrics skipped (loaded: GPU_UTIL, PROF_GR_ENGINE_ACTIVE, FB_USED)")


def parse(doc: InputDoc, options: ConnectorOptions) -> Parsed:
    if looks_like_json(doc.head()):
        parsed = Parsed(KIND, doc.name, doc.shown, "Prometheus JSON")
        _json(doc, options, parsed)
    else:
        parsed = Parsed(KIND, doc.name, doc.shown, "Prometheus text")
        _text(doc, doc.text(), options, parsed)
    return parsed
