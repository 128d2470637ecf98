"""What of an answer a Slack user may see: every row, alternative and suggestion, by the access policy.

Team names alone are not enough: a resource belongs to the teams its charges are allocated to (the
`team` tag, else an ownership rule, endpoint or GPU job: the store's `charges_allocated` view), and a
resource that belongs to no team is company-wide (visible only with "*"). So, for a user with a limited
scope:

- side lists (who_owns "Other close matches", explain_charge "Other candidates") keep only the items
  that belong entirely to the user's teams; the answer's text and table are recomposed from the filtered
  result by the tool's own summary (a model's text cannot be edited safely, so it is replaced too);
- "did you mean" suggestions keep only names the user may see (teams outside the scope and resources
  of other teams or of no team are dropped; the text is rebuilt from what is left);
- every resource still named anywhere in the results counts for the access check (`touched_teams`).

Fail-closed: a resource whose owner cannot be found counts as company-wide.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from agent.answer import Answer
from apps.slack.access import TeamScope
from knowledge.store import Store
from tools.contract import TableView
from tools.registry import registry

# Lists in a result that are extras beside its subject (never summed into its figures), by tool.
SIDE_LISTS: dict[str, tuple[str, ...]] = {"who_owns": ("alternatives",), "explain_charge": ("others",)}
RESOURCE_KEYS = {"resource_id", "resourceid"}
NO_TEAM = None

Owners = Callable[[Iterable[str]], dict[str, frozenset[str | None]]]


def resource_owners(store: Store, names: Iterable[str]) -> dict[str, frozenset[str | None]]:
    """For each resource (or sub-account) id or name found in the store: the teams its charges are
    allocated to (None = no team). Names that match nothing are absent (callers treat an absent resource id
    as company-wide)."""
    wanted = sorted({n for n in names if isinstance(n, str) and n})
    out: dict[str, set[str | None]] = {n: set() for n in wanted}
    if not wanted:
        return {}
    rows = store.con.execute(
        """
        WITH ids AS (SELECT DISTINCT unnest(?::VARCHAR[]) AS id)
        SELECT ids.id, ca.x_team FROM ids JOIN charges_allocated ca ON ca.ResourceId = ids.id
        UNION
        SELECT ids.id, ca.x_team FROM ids JOIN charges_allocated ca ON ca.ResourceName = ids.id
        UNION
        SELECT ids.id, ca.x_team FROM ids JOIN charges_allocated ca ON ca.SubAccountId = ids.id
        UNION
        SELECT ids.id, ca.x_team FROM ids JOIN charges_allocated ca ON ca.SubAccountName = ids.id
        UNION
        SELECT ids.id, e.team FROM ids JOIN endpoints e
            ON e.resource_id = ids.id OR e.endpoint_id = ids.id OR e.name = ids.id
        UNION
        SELECT ids.id, g.team FROM ids JOIN gpu_jobs g ON g.resource_id = ids.id
        """,
        [wanted],
    ).fetchall()
    for name, team in rows:
        out[name].add(team if team else NO_TEAM)
    return {n: frozenset(t) for n, t in out.items() if t}


def resource_names(value: Any) -> set[str]:
    """Resource ids named anywhere in a result (under a resource_id key)."""
    found: set[str] = set()

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for k, item in v.items():
                if str(k).lower() in RESOURCE_KEYS and isinstance(item, str) and item:
                    found.add(item)
                else:
                    walk(item)
        elif isinstance(v, (list, tuple)):
            for item in v:
                walk(item)

    walk(value)
    return found


def _visible(teams: frozenset[str | None], scope: TeamScope) -> bool:
    return all(t is not NO_TEAM and scope.allows(t) for t in teams)


def _item_visible(item: Any, scope: TeamScope, owners: Owners, known_teams: set[str]) -> bool:
    """A side-list item: visible when every resource and team in it is; an item naming no resource and
    no team (e.g. one service's charges for a day, across teams) is company-wide."""
    ids = resource_names(item)
    teams = _team_values(item, known_teams)
    if not ids and not teams:
        return False
    if any(not scope.allows(t) for t in teams):
        return False
    found = owners(ids)
    return all(_visible(found.get(i, frozenset({NO_TEAM})), scope) for i in ids)


def _team_values(value: Any, known_teams: set[str]) -> set[str]:
    out: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            if str(k).lower() in ("team", "x_team", "owner_team") and isinstance(v, str) and v:
                out.add(v)
            else:
                out |= _team_values(v, known_teams)
    elif isinstance(value, (list, tuple)):
        for v in value:
            out |= _team_values(v, known_teams)
    elif isinstance(value, str) and value in known_teams:
        out.add(value)
    return out


def filter_answer(answer: Answer, scope: TeamScope, owners: Owners, known_teams: set[str]) -> Answer:
    """The answer with what the scope may not see left out of its side lists and suggestions."""
    if scope.all:
        return answer
    answer = answer.model_copy(deep=True)
    tools_ok = [c.tool for c in answer.tool_calls if c.ok]
    if len(tools_ok) != len(answer.results):
        tools_ok = [""] * len(answer.results)
    changed = False
    left_out = 0
    for tool, result in zip(tools_ok, answer.results):
        for field in SIDE_LISTS.get(tool, ()):
            items = result.get(field)
            if not isinstance(items, list):
                continue
            kept = [i for i in items if _item_visible(i, scope, owners, known_teams)]
            if len(kept) != len(items):
                left_out += len(items) - len(kept)
                result[field] = kept
                changed = True
    if changed:
        _recompose(answer, tools_ok, left_out)
    if answer.suggestions:
        _filter_suggestions(answer, scope, owners, known_teams)
    return answer


def _recompose(answer: Answer, tools_ok: list[str], left_out: int) -> None:
    """Text and tables from the filtered results, by each tool's own summary (as the offline planner)."""
    texts: list[str] = []
    tables: list[TableView] = []
    for tool, result in zip(tools_ok, answer.results):
        try:
            model = registry.get(tool).result_model.model_validate(result)
        except Exception:                       # cannot re-render: show nothing of it rather than too much
            answer.results = []
            answer.tables = []
            answer.text = "Sorry, I can't show this answer here."
            answer.kind = "refusal"
            return
        texts.append(model.summary())
        view = model.table()
        if view is not None:
            tables.append(view)
    plural = "s" if left_out != 1 else ""
    answer.text = "\n\n".join(texts) + f"\n\n({left_out} other match{'es' if plural else ''} you can't see here left out.)"
    answer.tables = tables
    answer.flags = [*answer.flags, f"access: {left_out} item{plural} outside the user's teams left out"]


def _filter_suggestions(answer: Answer, scope: TeamScope, owners: Owners, known_teams: set[str]) -> None:
    names = [s for s in answer.suggestions if isinstance(s, str)]
    maybe_resources = [s for s in names if s not in known_teams]
    found = owners(maybe_resources) if maybe_resources else {}
    kept: list[str] = []
    for s in names:
        if s in known_teams:
            if scope.allows(s):
                kept.append(s)
        elif answer.kind != "did_you_mean":
            kept.append(s)                       # example questions (help), not names
        else:
            teams = found.get(s)
            if teams is None or _visible(teams, scope):
                kept.append(s)                   # a visible resource, or not a resource (a service, a model)
    if kept == names:
        return
    answer.suggestions = kept
    for call in answer.tool_calls:                # the evidence repeats the tool's error with its suggestions
        if not call.ok and call.error:
            call.error = "unknown name (names you can't see here left out)"
    if answer.kind == "did_you_mean":
        answer.text = ("I can't find that name among what you can see here."
                       + (" Did you mean " + ", ".join(f"'{k}'" for k in kept) + "?" if kept else ""))

