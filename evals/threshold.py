"""The accuracy `finops eval` (and CI) must reach, kept in the repo in `evals/threshold.yaml`."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, Field


class Threshold(BaseModel):
    overall: float = Field(..., ge=0, le=1, description="Minimum overall accuracy (0..1) of the offline run.")
    sets: dict[str, float] = Field(default_factory=dict, description="Optional minimum per set.")


def threshold_path() -> Path:
    return Path(__file__).resolve().parent / "threshold.yaml"


def load_threshold(path: Path | None = None) -> Threshold:
    raw = yaml.safe_load((path or threshold_path()).read_text(encoding="utf-8")) or {}
    return Threshold.model_validate(raw)
