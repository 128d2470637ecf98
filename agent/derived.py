"""Figures derived from tool results in Python (Decimal), said before the tools' own summaries:

- per_unit: "$0.50 or $0.05 per answer?": a per-1K unit cost divided by 1,000;
- rank: "which team has the most zombie jobs?": the result's items counted (and their monthly cost added)
  per team or owner, most first;
- combine: one model family asked as several calls ("GPT-4-class models by team"): the calls' rows added
  up per key;
- target_model: "moving X to gpt-4o-mini": the saving the prompt audit priced for that model;
- per_hour: a waste item's (or all items') monthly cost over the tool's 720-hour month;
- budget_total: the budgets' amounts added up.

Each reads only figures a tool computed from SQL; nothing here is a model's arithmetic. A cost that is
unknown in any part stays unknown.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from agent.state import ToolOutcome
from tools.contract import money

THOUSAND = Decimal(1000)
MAX_ITEMS = 8


def derived_notes(derive: list[dict[str, Any]], outcomes: list[ToolOutcome]) -> list[str]:
    ok = [o for o in outcomes if o.get("ok") and o.get("result") is not None]
    notes: list[str] = []
    for d in derive:
        fn = _DERIVATIONS.get(str(d.get("kind")))
        note = fn(d, ok) if fn is not None else None
        if note:
            notes.append(note)
    return notes


def per_unit(d: dict[str, Any], outcomes: list[ToolOutcome]) -> str | None:
    """Each row's cost per single unit; ranked by it when the question ranks ("the most per call": the unit
    asked first, then the others, each by its cost per unit), else in the tool's order."""
    items: list[str] = []
    ranked: list[tuple[bool, Decimal, str]] = []
    order, wanted = d.get("order"), str(d.get("unit") or "")
    for o in outcomes:
        result = o["result"]
        if o["tool"] == "unit_costs":
            for r in result.get("rows") or []:
                label = str(r.get("per_label") or "")
                if r.get("per_unit") in (None, "") or not label.startswith("per 1K "):
                    continue
                one = Decimal(str(r["per_unit"])) / THOUSAND
                unit = label.removeprefix("per 1K ").rstrip("s")
                text = f"{r.get('key')}: {money(one, 4)} per {unit} ({money(Decimal(str(r['per_unit'])), 4)} {label} / 1,000)"
                items.append(text)
                ranked.append((unit != wanted, -one if order == "desc" else one, text))
        elif o["tool"] == "llm_spend":
            rows = [r for r in result.get("rows") or [] if r.get("cost_per_1k_calls") not in (None, "")]
            for r in rows:          # a breakdown ("which team has the highest llm spend per call"): each row's
                per_1k = Decimal(str(r["cost_per_1k_calls"]))
                text = f"{r.get('key')}: {money(per_1k / THOUSAND, 4)} per call ({money(per_1k, 4)} per 1K calls / 1,000)"
                items.append(text)
                ranked.append((False, -per_1k if order == "desc" else per_1k, text))
            total = result.get("total") or {}
            if not rows and total.get("cost_per_1k_calls") not in (None, ""):
                per_1k = Decimal(str(total["cost_per_1k_calls"]))
                items.append(f"{money(per_1k / THOUSAND, 4)} per call ({money(per_1k, 4)} per 1K calls / 1,000)")
    if not items:
        return None
    if order in ("asc", "desc") and ranked:
        first = "highest" if order == "desc" else "lowest"
        return (f"Per single unit, {first} first: " + "; ".join(t for _, _, t in sorted(ranked, key=lambda x: x[:2])[:MAX_ITEMS])
                + ".")
    return "Per single unit: " + "; ".join(items[:MAX_ITEMS]) + "."


def rank(d: dict[str, Any], outcomes: list[ToolOutcome]) -> str | None:
    by = str(d.get("by") or "team")
    for o in outcomes:
        result = o["result"]
        items = result.get("items") if isinstance(result.get("items"), list) else result.get("actions")
        if not isinstance(items, list) or not items:
            continue
        counts: dict[str, int] = defaultdict(int)
        costs: dict[str, Decimal] = defaultdict(Decimal)
        unknown: set[str] = set()
        for item in items:
            key = str(item.get(by) or f"no {by}")
            counts[key] += 1
            cost = item.get("monthly_cost", item.get("monthly_savings"))
            if cost in (None, ""):
                unknown.add(key)
            else:
                costs[key] += Decimal(str(cost))
        order = sorted(counts, key=lambda k: (-counts[k], -costs[k], k))
        parts = [f"{k} {counts[k]} ({money(costs[k]) if k not in unknown else 'at least ' + money(costs[k])}/month)"
                 for k in order[:MAX_ITEMS]]
        return f"By {by}, most first (items of this answer, their monthly cost added): " + "; ".join(parts) + "."
    return None


def combine(d: dict[str, Any], outcomes: list[ToolOutcome]) -> str | None:
    values = [str(v) for v in d.get("values") or []]
    parts = [o for o in outcomes if o["tool"] == "llm_spend"]
    if len(parts) < 2:
        return None
    by_key: dict[str, Decimal] = defaultdict(Decimal)
    unknown: set[str] = set()
    total = Decimal(0)
    total_known = True
    group = str(parts[0]["result"].get("group_by") or "")
    for o in parts:
        result = o["result"]
        t = (result.get("total") or {}).get("cost")
        if t in (None, ""):
            total_known = False
        else:
            total += Decimal(str(t))
        for r in result.get("rows") or []:
            if r.get("is_other"):
                continue
            key = str(r.get("key"))
            if r.get("cost") in (None, ""):
                unknown.add(key)
            else:
                by_key[key] += Decimal(str(r["cost"]))
    period = (parts[0]["result"].get("period") or {}).get("label", "the period")
    head = (f"{' + '.join(values)} together in {period}: "
            f"{money(total) if total_known else 'at least ' + money(total)}")
    if not by_key or group in ("model", ""):
        return head + "."
    order = sorted(by_key, key=lambda k: (-by_key[k], k))
    rows = [f"{k} {money(by_key[k]) if k not in unknown else 'at least ' + money(by_key[k])}" for k in order[:MAX_ITEMS]]
    return head + f"; by {group}: " + "; ".join(rows) + "."


def target_model(d: dict[str, Any], outcomes: list[ToolOutcome]) -> str | None:
    """The move to a named model, per prompt (of the named source model only): what the calls would cost at its
    catalog prices and the saving (or the extra cost), from the prompt audit's rows."""
    target = str(d.get("model") or "")
    source = d.get("source")
    for o in outcomes:
        if o["tool"] != "prompt_audit":
            continue
        found = []
        for r in o["result"].get("rows") or []:
            if source and r.get("model") != source:
                continue
            for opt in r.get("model_options") or []:
                if opt.get("model") == target and opt.get("monthly_saving") not in (None, ""):
                    saving = Decimal(str(opt["monthly_saving"]))
                    what = (f"would save {money(saving)}/month" if saving >= 0
                            else f"would cost {money(-saving)}/month more")
                    line = (f"moving {r.get('app') or r.get('prompt_id')} ({r.get('model')}) to {target} {what} "
                            f"(its calls re-priced at {target}'s catalog prices: "
                            f"{money(Decimal(str(opt['monthly_cost'])))}/month)")
                    if opt.get("fits") is False:
                        line += f", though {target} does not take this prompt's longest input or its P95 output"
                    if opt.get("asked"):
                        line += "; check answer quality on a sample before switching"
                    found.append(line)
        if found:
            return found[0][0].upper() + found[0][1:] + ("; " + "; ".join(found[1:]) if found[1:] else "") + "."
        return f"The prompt audit priced no move to {target} for these prompts."
    return None


def _total(o: ToolOutcome) -> tuple[Decimal | None, dict[str, Any]]:
    """The headline cost of a spend / query_costs / llm_spend result, and its period."""
    r = o["result"]
    if o["tool"] == "spend":
        v = r.get("total_billed")
    elif o["tool"] == "query_costs":
        v = (r.get("totals") or {}).get("billed_cost", (r.get("totals") or {}).get("effective_cost"))
    elif o["tool"] == "llm_spend":
        v = (r.get("total") or {}).get("cost")
    else:
        return None, {}
    return (None if v in (None, "") else Decimal(str(v))), (r.get("period") or {})


def average_per_day(_: dict[str, Any], outcomes: list[ToolOutcome]) -> str | None:
    """"avg daily spend last month": the period's total over its days, the division shown."""
    from datetime import date

    for o in outcomes:
        total, period = _total(o)
        if total is None or not period.get("start") or not period.get("end"):
            continue
        days = (date.fromisoformat(str(period["end"])) - date.fromisoformat(str(period["start"]))).days
        if days <= 0:
            continue
        return (f"Average per day: {money(total / days)} ({money(total)} over the {days} days of "
                f"{period.get('label', 'the period')}).")
    return None


def average_per_job(_: dict[str, Any], outcomes: list[ToolOutcome]) -> str | None:
    """"average cost per gpu job", "a typical training run": the jobs' known costs over how many have one (a
    job still running or without a cost has no price), the division shown."""
    for o in outcomes:
        if o["tool"] != "job_runs":
            continue
        totals = o["result"].get("totals") or []
        known = sum(int(t.get("jobs") or 0) - int(t.get("unknown_cost_jobs") or 0) for t in totals)
        cost = sum((Decimal(str(t["cost"])) for t in totals if t.get("cost") not in (None, "")), Decimal(0))
        if known <= 0:
            return "Average per job: unknown (no job of the period has a known cost)."
        unknown = sum(int(t.get("unknown_cost_jobs") or 0) for t in totals)
        left_out = f"; {unknown} job{'s' if unknown != 1 else ''} without a known cost left out" if unknown else ""
        return (f"Average per job: {money(cost / known)} ({money(cost)} over the {known} job{'s' if known != 1 else ''} "
                f"with a known cost{left_out}).")
    return None


def share(_: dict[str, Any], outcomes: list[ToolOutcome]) -> str | None:
    """"what share of last month's total was search?": the scoped total over the unscoped one (two calls of
    the same tool and period, the second without the name)."""
    scoped = [o for o in outcomes if _total(o)[0] is not None]
    if len(scoped) < 2:
        return None
    part, whole = _total(scoped[0])[0], _total(scoped[-1])[0]
    if part is None or not whole:
        return None
    what = _filters_text(scoped[0])
    if not what and scoped[0]["tool"] == "llm_spend":
        what = "LLM spend"
    return (f"Share of the total: {what or 'this part'} is {(part / whole * 100):.2f}% "
            f"({money(part)} of {money(whole)}).")


def budget_left(_: dict[str, Any], outcomes: list[ToolOutcome]) -> str | None:
    """"how much budget is left?": amount - spent per budget the answer holds, the subtraction shown."""
    items: list[str] = []
    for o in outcomes:
        if o["tool"] != "budgets":
            continue
        for b in o["result"].get("budgets") or []:
            if b.get("amount") in (None, "") or b.get("spent") in (None, ""):
                continue
            amount, spent = Decimal(str(b["amount"])), Decimal(str(b["spent"]))
            left = amount - spent
            word = "left" if left >= 0 else "over"
            items.append(f"{b.get('scope')} ({b.get('scope_kind')}): {money(abs(left))} {word} "
                         f"({money(amount)} budget - {money(spent)} spent)")
    if not items:
        return None
    return "Budget left: " + "; ".join(items[:MAX_ITEMS]) + "."


def _two_totals(outcomes: list[ToolOutcome]) -> tuple[tuple[Decimal, str], tuple[Decimal, str]] | None:
    """The headline totals of the first and the last result (the earlier answer first), with their labels."""
    known: list[tuple[Decimal, str]] = []
    for o in outcomes:
        total, period = _total(o)
        if total is not None:
            known.append((total, _label(o, period)))
    if len(known) < 2:
        return None
    return known[0], known[-1]


def _filters_text(o: ToolOutcome) -> str:
    """'team search, provider AWS': the filters a result was scoped to."""
    filters = o["result"].get("filters") or {}
    return ", ".join(f"{k} {v}" for k, v in filters.items()) if isinstance(filters, dict) else ", ".join(map(str, filters))


def _label(o: ToolOutcome, period: dict[str, Any]) -> str:
    what = _filters_text(o)
    when = str(period.get("label") or "")
    return " ".join(p for p in (what, f"in {when}" if when else "") if p) or "the total"


def difference(_: dict[str, Any], outcomes: list[ToolOutcome]) -> str | None:
    """"what's the difference between the two?": the two previous totals subtracted, the sum shown."""
    both = _two_totals(outcomes)
    if both is None:
        return None
    (a, la), (b, lb) = both
    return f"Difference: {money(abs(b - a))} ({lb} {money(b)} - {la} {money(a)} = {money(b - a)})."


def total_of_two(_: dict[str, Any], outcomes: list[ToolOutcome]) -> str | None:
    """"both combined?": the two previous totals added, the sum shown."""
    both = _two_totals(outcomes)
    if both is None:
        return None
    (a, la), (b, lb) = both
    return f"Combined: {money(a + b)} ({la} {money(a)} + {lb} {money(b)})."


def change(_: dict[str, Any], outcomes: list[ToolOutcome]) -> str | None:
    """"% change?": the later total against the earlier one, the division shown."""
    both = _two_totals(outcomes)
    if both is None:
        return None
    (a, la), (b, lb) = both
    if not a:
        return None
    return (f"Change: {(b - a) / a * 100:+.2f}% ({lb} {money(b)} vs {la} {money(a)}: "
            f"{money(b - a)} / {money(a)}).")


def movers(d: dict[str, Any], outcomes: list[ToolOutcome]) -> str | None:
    """"which services got cheaper in november?", "top movers by team": the spend rows ranked by their change
    against the compared period (the tool's own per-row change, no arithmetic here), largest first."""
    direction = str(d.get("direction") or "both")
    for o in outcomes:
        if o["tool"] != "spend" or not o.get("ok", True):
            continue
        r = o["result"]
        changed = [(Decimal(str(x["change"])), x) for x in r.get("rows") or []
                   if not x.get("is_other") and x.get("change") not in (None, "")]
        previous = (r.get("previous") or {}).get("label")
        if not changed or not previous:
            continue
        by = r.get("group_by") or "group"
        if direction == "up":
            picked = sorted((c for c in changed if c[0] > 0), key=lambda c: -c[0])
            head = f"Increases by {by} vs {previous}, largest first"
        elif direction == "down":
            picked = sorted((c for c in changed if c[0] < 0), key=lambda c: c[0])
            head = f"Decreases by {by} vs {previous}, largest first"
        else:
            picked = sorted((c for c in changed if c[0]), key=lambda c: -abs(c[0]))
            head = f"Biggest changes by {by} vs {previous}"
        if not picked:
            moved = {"up": "rose", "down": "fell"}.get(direction, "changed")
            return f"No {by} {moved} against {previous}."
        limit = int(d.get("limit") or MAX_ITEMS)   # "which 3 teams went up the most": three, not every rise
        parts = []
        for delta, x in picked[:limit]:
            pct_text = f", {Decimal(str(x['change_pct'])) * 100:+.1f}%" if x.get("change_pct") not in (None, "") else ""
            parts.append(f"{x['key']} {'+' if delta > 0 else '-'}{money(abs(delta))} "
                         f"({money(Decimal(str(x['previous_billed'])))} to {money(Decimal(str(x['billed'])))}{pct_text})")
        return f"{head}: " + "; ".join(parts) + "."
    return None


HOURS_PER_MONTH = Decimal(720)      # the 30-day month the waste tool prices (tools.waste.HOURS_PER_MONTH)


def per_hour(_: dict[str, Any], outcomes: list[ToolOutcome]) -> str | None:
    """"what is it per hour?", "burn rate /hr": the waste tool's monthly figures over its 720-hour month."""
    for o in outcomes:
        if o["tool"] != "waste":
            continue
        r = o["result"]
        items = [i for i in r.get("items") or [] if i.get("monthly_cost") not in (None, "")]
        if not items:
            continue
        parts = [f"{i.get('name') or i.get('ref')}: {money(Decimal(str(i['monthly_cost'])) / HOURS_PER_MONTH)}/hour"
                 for i in items[:MAX_ITEMS]]
        total = sum((Decimal(str(i["monthly_cost"])) for i in items), Decimal(0))
        head = (f"Per hour: {money(total / HOURS_PER_MONTH)}/hour in all ({money(total)}/month / 720 hours)"
                if len(items) > 1 else
                f"Per hour: {money(total / HOURS_PER_MONTH)}/hour ({money(total)}/month / 720 hours)")
        return head + ("; " + "; ".join(parts) if len(items) > 1 else "") + "."
    return None


def budget_total(_: dict[str, Any], outcomes: list[ToolOutcome]) -> str | None:
    """"what do all the team budgets add up to?": the budgets' amounts added, the sum shown."""
    for o in outcomes:
        if o["tool"] != "budgets":
            continue
        rows = [b for b in o["result"].get("budgets") or [] if b.get("amount") not in (None, "")]
        if len(rows) < 2:
            continue
        total = sum((Decimal(str(b["amount"])) for b in rows), Decimal(0))
        spent = [Decimal(str(b["spent"])) for b in rows if b.get("spent") not in (None, "")]
        tail = f"; spent so far {money(sum(spent, Decimal(0)))}" if len(spent) == len(rows) else ""
        return (f"Budgets added up: {money(total)} over {len(rows)} budgets "
                f"({' + '.join(money(Decimal(str(b['amount']))) for b in rows[:MAX_ITEMS])}){tail}.")
    return None


def _dates(period: dict[str, Any]) -> str:
    """'2026-11-01 to 2026-11-24' of a result's period (its end is exclusive)."""
    from datetime import date, timedelta

    if not period.get("start") or not period.get("end"):
        return str(period.get("label") or "")
    last = date.fromisoformat(str(period["end"])) - timedelta(days=1)
    return f"{period['start']} to {last.isoformat()}"


def month_end(_: dict[str, Any], outcomes: list[ToolOutcome]) -> str | None:
    """"EOM projection": this month's spend so far (spend) + the forecast of the days left (forecast)."""
    spent = next((o for o in outcomes if o["tool"] == "spend"), None)
    fc = next((o for o in outcomes if o["tool"] == "forecast"), None)
    if spent is None or fc is None:
        return None
    so_far, period = _total(spent)
    forecasts = fc["result"].get("forecasts") or []
    if so_far is None or len(forecasts) != 1:
        return None
    rest = Decimal(str(forecasts[0]["total"]))
    low, high = Decimal(str(forecasts[0]["low"])), Decimal(str(forecasts[0]["high"]))
    who = forecasts[0].get("scope") or "total"
    return (f"Month-end projection ({who}): {money(so_far + rest)} = {money(so_far)} spent "
            f"{_dates(period)} + {money(rest)} forecast "
            f"{fc['result'].get('start')} to {fc['result'].get('end')} (80% interval {money(so_far + low)} to "
            f"{money(so_far + high)}).")


def usage_rank(d: dict[str, Any], outcomes: list[ToolOutcome]) -> str | None:
    """LLM spend's rows ranked by their tokens (input + output) or calls, when the question ranks by those
    ("which app uses the most tokens"): the tool lists its rows by cost."""
    by, descending = str(d.get("by") or "tokens"), d.get("order") != "asc"
    for o in outcomes:
        if o["tool"] != "llm_spend":
            continue
        rows = [r for r in o["result"].get("rows") or [] if not r.get("is_other")]
        folded = sum(int(r.get("folded") or 1) for r in o["result"].get("rows") or [] if r.get("is_other"))

        def used(r: dict[str, Any]) -> int | None:
            if by == "calls":
                return None if r.get("calls") is None else int(r["calls"])
            if r.get("input_tokens") is None or r.get("output_tokens") is None:
                return None
            return int(r["input_tokens"]) + int(r["output_tokens"])

        known = sorted(((v, str(r.get("key"))) for r in rows if (v := used(r)) is not None),
                       key=lambda x: (-x[0] if descending else x[0], x[1]))
        if len(known) < 2:
            continue
        label = "calls" if by == "calls" else "tokens (input + output)"
        note = (f"By {label}, {'most' if descending else 'fewest'} first: "
                + "; ".join(f"{key} {value:,}" for value, key in known[:MAX_ITEMS]))
        if folded:
            note += f" (of the {len(rows)} listed by cost; {folded} more are folded into 'other')"
        return note + "."
    return None


_DERIVATIONS = {"per_hour": per_hour, "usage_rank": usage_rank, "month_end": month_end, "budget_total": budget_total, "per_unit": per_unit, "rank": rank, "combine": combine, "target_model": target_model,
                "average_per_day": average_per_day, "average_per_job": average_per_job, "share": share,
                "budget_left": budget_left,
                "difference": difference, "change": change, "sum": total_of_two, "movers": movers}
