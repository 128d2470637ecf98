"""Who may see which team's costs in Slack (optional; everyone sees everything without a mapping).

The mapping is a YAML file named by FINOPS_SLACK_ACCESS:

    default: []                  # teams a user who is not listed may see ("*" = all teams)
    users:
      U0SEARCH1: [search]
      U0FINOPS1: ["*"]
    channels:                    # an answer posted in a listed channel is visible to all its members,
      C0SEARCH: [search]         # so it must fit both the user's and the channel's teams
    channel_default: null        # teams of channels that are not listed (null = no channel restriction)

An answer is shown only when every team it touches is allowed. An answer that touches no team at all
(company totals) or spend that belongs to no team (unallocated) needs "*". Direct messages are
restricted by the user's teams only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError

from agent.answer import Answer
from apps.slack.mrkdwn import code_safe

ALL = "*"
_TEAM_KEYS = {"team", "teams", "x_team", "owner_team", "team_name"}


class AccessError(ValueError):
    """The access mapping file cannot be used."""


class TeamScope(BaseModel):
    """The teams someone may see: all of them, or a set."""

    all: bool = False
    teams: frozenset[str] = frozenset()

    def allows(self, team: str) -> bool:
        return self.all or team in self.teams

    def describe(self) -> str:
        if self.all:
            return "all teams"
        return ", ".join(sorted(self.teams)) if self.teams else "no team"

    def intersect(self, other: TeamScope) -> TeamScope:
        if self.all:
            return other
        if other.all:
            return self
        return TeamScope(teams=self.teams & other.teams)


def _scope(names: Iterable[str]) -> TeamScope:
    names = [str(n) for n in names]
    return TeamScope(all=True) if ALL in names else TeamScope(teams=frozenset(names))


class AccessPolicy(BaseModel):
    default: list[str] = Field(default_factory=list)
    users: dict[str, list[str]] = Field(default_factory=dict)
    channels: dict[str, list[str]] = Field(default_factory=dict)
    channel_default: list[str] | None = None

    @classmethod
    def open(cls) -> AccessPolicy:
        """No mapping: everyone may see every team."""
        return cls(default=[ALL])

    @classmethod
    def load(cls, path: Path | None) -> AccessPolicy:
        if path is None:
            return cls.open()
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise AccessError(f"cannot read the access mapping {path}: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise AccessError(f"the access mapping {path} is not valid YAML: {exc}") from None
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise AccessError(f"the access mapping {path} must be a mapping with users/channels/default")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
            raise AccessError(f"the access mapping {path} is invalid: {problems}") from None

    def scope_for(self, user: str | None, channel: str | None) -> TeamScope:
        scope = _scope(self.users.get(user or "", self.default))
        if channel and not channel.startswith("D"):           # D… = a direct message
            listed = self.channels.get(channel)
            if listed is not None:
                scope = scope.intersect(_scope(listed))
            elif self.channel_default is not None:
                scope = scope.intersect(_scope(self.channel_default))
        return scope


class Touched(BaseModel):
    """The teams an answer's figures belong to."""

    teams: set[str] = Field(default_factory=set)
    unallocated: bool = False     # a figure that belongs to no team (company total, unowned spend)


def touched_teams(answer: Answer, known_teams: set[str],
                  owners: Callable[[Iterable[str]], Mapping[str, frozenset[str | None]]] | None = None) -> Touched:
    """Teams named in the answer's tool arguments, results and tables (exact names only), and, given
    `owners` (apps.slack.visibility.resource_owners), the teams of every resource the results name: a
    resource of no team, or one not found, is company-wide spend (fail closed)."""
    found = Touched()
    if answer.kind != "answer" or not (answer.tool_calls or answer.results):
        return found
    if owners is not None:
        _resource_teams(answer, owners, found)
    for call in answer.tool_calls:
        _walk(call.args, known_teams, found, under_team_key=False)
    for result in answer.results:
        _walk(result, known_teams, found, under_team_key=False)
    for ev in answer.evidence:
        _walk(ev.args, known_teams, found, under_team_key=False)
    for table in answer.tables:
        _table_teams(table.columns, table.rows, known_teams, found)
    if not found.teams:
        found.unallocated = True
    return found


def _resource_teams(answer: Answer, owners: Callable[[Iterable[str]], Mapping[str, frozenset[str | None]]],
                    found: Touched) -> None:
    """The teams of every resource the results name; a resource of no team, or not found, is company-wide."""
    ids: set[str] = set()
    for result in answer.results:
        ids |= _resource_ids(result)
    teams_of = owners(ids) if ids else {}
    for rid in ids:
        for team in teams_of.get(rid, frozenset({None})):
            if team is None:
                found.unallocated = True
            else:
                found.teams.add(team)


def _table_teams(columns: list[Any], rows: list[list[Any]], known_teams: set[str], found: Touched) -> None:
    """A table's team column cells, and any cell that is exactly a known team."""
    team_cols = {i for i, c in enumerate(columns) if str(c).lower() in _TEAM_KEYS}
    for row in rows:
        for i, value in enumerate(row):
            if i in team_cols:
                _team_cell(value, found)
            elif isinstance(value, str) and value in known_teams:
                found.teams.add(value)


def _resource_ids(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if str(key).lower() in ("resource_id", "resourceid") and isinstance(item, str) and item:
                found.add(item)
            else:
                found |= _resource_ids(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            found |= _resource_ids(item)
    return found


_OTHERS = re.compile(r"^\(?(\d+ )?others?\)?$|^\(?(unallocated|no team|none)\)?$", re.I)


def _team_cell(value: Any, found: Touched) -> None:
    """A cell of a table's team column: a team, the total line, or spend of no / other teams."""
    text = "" if value is None else str(value).strip()
    if text.lower() == "total":
        return                      # the sum of the rows above it, each checked on its own
    if not text or text in ("—", "-") or _OTHERS.match(text):
        found.unallocated = True
    else:
        found.teams.add(text)


def _walk(value: Any, known: set[str], found: Touched, *, under_team_key: bool) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            team_key = str(key).lower() in _TEAM_KEYS
            if team_key and item is None and _is_record(value):
                found.unallocated = True
            _walk(item, known, found, under_team_key=team_key)
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            _walk(item, known, found, under_team_key=under_team_key)
    elif isinstance(value, str):
        if value in known or (under_team_key and value):
            found.teams.add(value)


def _is_record(value: dict[str, Any]) -> bool:
    """A result row (has a money figure next to its team), not a filter left empty."""
    return any(isinstance(k, str) and any(w in k.lower() for w in ("cost", "spend", "amount", "billed", "total"))
               for k in value)


def check(scope: TeamScope, touched: Touched) -> list[str]:
    """Teams (or 'unallocated spend') the scope may not see; empty = allowed."""
    if scope.all:
        return []
    denied = sorted(t for t in touched.teams if not scope.allows(t))
    if touched.unallocated:
        denied.append("spend that belongs to no team you can see")
    return denied


def refusal_text(user: str | None, scope: TeamScope, denied: list[str]) -> str:
    who = f"<@{user}>" if user else "Sorry"
    teams = [d for d in denied if not d.startswith("spend ")]
    what = ("the costs of team " + ", ".join(f"`{code_safe(t)}`" for t in teams)) if teams else "company-wide or unallocated costs"
    return (f"{who}, sorry: this answer includes {what}, which you can't see from here. "
            f"Your access here covers {code_safe(scope.describe())}. If you need more, ask your FinOps "
            f"admin to extend the Slack access mapping.")
