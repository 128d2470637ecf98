"""The approval rule, in one place, for every surface (the CLI gate, the Slack bot, the agent).

When a run needs a person's approval:
- its expected cost is unknown, over its job budget or over what its team has left this month
  (the estimate's budget verdict), or
- its expected cost is over the approval threshold, `FINOPS_APPROVAL_THRESHOLD` (USD, default $10,000).

Who may approve: an approver of the estimate's team (`teams.approvers`), and never the person who asked
for the approval (nobody approves their own request). Anyone allowed may reject.

When an approval applies to a run (the CLI gate, `--approval-id`): the approved estimate belongs to the
same team and has the same job name, the run costs no more than the approved estimate (its ceiling),
and the approval is younger than `APPROVAL_VALID_DAYS` (14 days; `FINOPS_APPROVAL_VALID_DAYS` changes
it). Anything else is refused with the reason, fail-closed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from pydantic import BaseModel

from tools.contract import FinopsError, money

DEFAULT_APPROVAL_THRESHOLD = Decimal("10000")
APPROVAL_VALID_DAYS = 14
THRESHOLD_ENV = "FINOPS_APPROVAL_THRESHOLD"
VALID_DAYS_ENV = "FINOPS_APPROVAL_VALID_DAYS"

NEEDS_A_PERSON = ("over budget", "needs approval")
REQUESTED = "requested"          # an `approvals` row that records who asked, not a decision
DECISIONS = ("approved", "rejected")


def approval_threshold(env: Mapping[str, str] | None = None) -> Decimal:
    """FINOPS_APPROVAL_THRESHOLD in USD (default $10,000); a value that is not a number >= 0 is an error."""
    env = os.environ if env is None else env
    raw = (env.get(THRESHOLD_ENV) or "").strip()
    if not raw:
        return DEFAULT_APPROVAL_THRESHOLD
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise FinopsError(f"{THRESHOLD_ENV} must be a number of USD, got {raw[:40]!r}") from None
    if not value.is_finite() or value < 0:
        raise FinopsError(f"{THRESHOLD_ENV} must be a number of USD >= 0, got {raw[:40]!r}")
    return value


def approval_valid_days(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    raw = (env.get(VALID_DAYS_ENV) or "").strip()
    if not raw:
        return APPROVAL_VALID_DAYS
    if not raw.isdigit() or not 0 < int(raw) <= 366:
        raise FinopsError(f"{VALID_DAYS_ENV} must be a whole number of days from 1 to 366, got {raw[:40]!r}")
    return int(raw)


def threshold_reason(expected_cost: Decimal | None, threshold: Decimal) -> str | None:
    """The reason a run over the approval threshold needs a person, or None."""
    if expected_cost is not None and expected_cost > threshold:
        return f"over the {money(threshold, 0)} approval threshold"
    return None


def approval_reasons(expected_cost: Decimal | None, verdict: str | None, verdict_reasons: Iterable[str],
                     threshold: Decimal) -> list[str]:
    """Why a run needs a person's approval (empty: it does not). The one rule both surfaces apply."""
    reasons: list[str] = []
    if verdict in NEEDS_A_PERSON:
        reasons += [r for r in verdict_reasons if r] or [str(verdict)]
    over = threshold_reason(expected_cost, threshold)
    if over and over not in reasons:
        reasons.insert(0, over)
    if expected_cost is None and not reasons:
        reasons.append("the cost is unknown: a person must check it")
    return reasons


def who_may_decide(user: str, decision: str, approvers: Iterable[str], requesters: Iterable[str],
                   team: str | None) -> str | None:
    """None when `user` may record `decision`; else why not (shown to the user)."""
    approvers = list(approvers)
    if user not in approvers:
        return f"only the approvers of team `{team or '?'}` can decide on this run"
    if decision == "approved" and user in set(requesters):
        return "you asked for this approval, so someone else must approve it (nobody approves their own request)"
    return None


class ApprovedEstimate(BaseModel):
    """An approval decision and the estimate it was given for."""

    estimate_id: str
    team: str | None
    name: str | None
    expected_cost: Decimal | None
    decision: str
    decided_by: str
    decided_at: datetime          # naive UTC, as stored
    requesters: list[str] = []


class RunToGate(BaseModel):
    """The run the gate is deciding on."""

    estimate_id: str
    team: str | None
    name: str
    expected_cost: Decimal | None


def approval_problem(approval: ApprovedEstimate, run: RunToGate, *, now: datetime | None = None,
                     valid_days: int | None = None) -> str | None:
    """None when the approval covers the run; else why it does not (fail closed)."""
    eid = approval.estimate_id
    if approval.decision != "approved":
        return f"estimate {eid} was {approval.decision} by {approval.decided_by}"
    if approval.decided_by in set(approval.requesters):
        return f"estimate {eid} was approved by the person who asked for it ({approval.decided_by}): not valid"
    if not approval.team or approval.team != run.team:
        return (f"the approval of estimate {eid} is for team {approval.team or '(none)'}, "
                f"not team {run.team or '(none)'}: it does not apply to this run")
    if approval.name != run.name:
        return (f"the approval of estimate {eid} is for job '{approval.name}', not '{run.name}': "
                "it does not apply to this run")
    if approval.expected_cost is None or run.expected_cost is None:
        return f"estimate {eid} or this run has no known cost: needs a new approval"
    if run.expected_cost > approval.expected_cost:
        return (f"estimate {eid} was approved for {money(approval.expected_cost)}; this run costs "
                f"{money(run.expected_cost)}: needs a new approval")
    days = approval_valid_days() if valid_days is None else valid_days
    now = now or datetime.now(UTC).replace(tzinfo=None)
    expires = approval.decided_at + timedelta(days=days)
    if now >= expires:
        return (f"the approval of estimate {eid} expired on {expires:%Y-%m-%d %H:%M} UTC "
                f"(approvals are valid for {days} days): needs a new approval")
    return None
