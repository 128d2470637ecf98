"""`CostQuery`: one validated question of the cost model (measures × group-by × filters × period ×
comparison × top-N), the object both planners fill in and the compiler turns into SQL."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from knowledge.semantic.model import MEASURE_NAMES, Operator

Comparison = Literal["none", "previous", "year_ago"]


class Filter(BaseModel):
    """dimension <op> values. `ne`/`not_in` keep rows with no value, so that `in` + `not_in` of the
    same values partition the total; `contains` is a case-insensitive substring match."""

    model_config = ConfigDict(frozen=True)

    dimension: str = Field(description="Dimension name, synonym, FOCUS column or tag:<key>.")
    op: Operator = Field("eq", description="eq | ne | in | not_in | contains | is_null | not_null")
    values: tuple[str, ...] = Field(default=(), description="Values (names as in the data; did-you-mean if unknown).")

    @field_validator("values", mode="before")
    @classmethod
    def _listify(cls, v: object) -> object:
        if isinstance(v, str):
            return (v,)
        return v

    @model_validator(mode="after")
    def _arity(self) -> Filter:
        if self.op in ("is_null", "not_null"):
            if self.values:
                raise ValueError(f"{self.op} takes no values")
        elif not self.values:
            raise ValueError(f"{self.op} needs at least one value")
        elif self.op in ("eq", "ne") and len(self.values) != 1:
            raise ValueError(f"{self.op} takes one value; use in / not_in for several")
        return self


class CostQuery(BaseModel):
    """A question of the cost model. Names are resolved and values checked against the store before
    any SQL runs (`knowledge.semantic.validate`)."""

    model_config = ConfigDict(frozen=True)

    measures: tuple[str, ...] = Field(default=("billed_cost",), min_length=1, max_length=6,
                                      description=f"Measures: {', '.join(MEASURE_NAMES)}.")
    group_by: tuple[str, ...] = Field(default=(), max_length=3,
                                      description="Up to 3 dimensions (name, synonym, FOCUS column or tag:<key>).")
    filters: tuple[Filter, ...] = Field(default=(), max_length=12)
    period: str = Field("last 30 days", description="e.g. 'last month', '2024-09', 'Q3 2026', 'since Oct 1'.")
    period_basis: Literal["charge", "billing"] = Field(
        "charge", description="charge: ChargePeriodStart in the period (default); billing: on the invoices of "
                              "the billing periods starting in it.")
    compare: Comparison = Field("none", description="previous = the period before; year_ago = same dates a year earlier.")
    compare_to: str | None = Field(None, description="A named period to compare with (e.g. '2024-08', 'Q2 2026').")
    top: int | None = Field(None, ge=1, le=1000,
                            description="Rows before the rest fold into 'other' (default 10; all rows by time).")
    order: Literal["desc", "asc"] = Field("desc", description="Rank rows by the first measure.")

    @field_validator("measures", "group_by", mode="before")
    @classmethod
    def _listify(cls, v: object) -> object:
        if isinstance(v, str):
            return (v,)
        return v
