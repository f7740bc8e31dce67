"""What the web app's dashboard and calendar read: deliveries joined to their post and account.

Read-only, one query per view: the calendar reads every delivery of a time range in one statement,
the dashboard its three lists (upcoming, recent results, what needs action, with their totals) in
one ``UNION ALL``. Accounts needing re-authorisation are a second, small query on ``accounts``.

``units`` limits every read to the posts (and accounts) of those units; ``None`` reads all of them
(an admin). The range filter names every state so that the ``(state, due_at)`` index serves it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, literal, select, union_all

from publisher.core.states import State
from publisher.store import schema as s
from publisher.store.db import Database

ALL_STATES = tuple(st.value for st in State)


@dataclass(frozen=True, slots=True)
class CalendarLine:
    """One delivery as the calendar shows it."""

    id: int
    state: str
    due_at: datetime
    post_key: str
    title: str
    unit: str
    platform: str
    account: str
    account_label: str  # the display name, else the account's name


@dataclass(frozen=True, slots=True)
class DeliveryLine(CalendarLine):
    """One delivery as the dashboard lists it."""

    remote_url: str | None
    published_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ReauthAccount:
    """An account that must be connected again before it can publish."""

    id: int
    platform: str
    name: str
    label: str
    unit: str


@dataclass
class DashboardRows:
    """The dashboard's lists; ``*_total`` and ``action_counts`` count beyond the rows read."""

    upcoming: list[DeliveryLine] = field(default_factory=list)
    upcoming_total: int = 0
    recent: list[DeliveryLine] = field(default_factory=list)
    action: dict[str, list[DeliveryLine]] = field(default_factory=dict)
    action_counts: dict[str, int] = field(default_factory=dict)


def _columns(full: bool) -> list[Any]:
    """The columns of :class:`CalendarLine` (``full``: of :class:`DeliveryLine`), in field order."""
    d, p, a = s.deliveries.c, s.posts.c, s.accounts.c
    label = func.coalesce(a.display_name, a.name).label("account_label")
    cols = [d.id, d.state, d.due_at, p.key, p.title, p.unit, a.platform, a.name, label]
    return [*cols, d.remote_url, d.published_at, d.updated_at] if full else cols


def _joined(units: Collection[str] | None, *extra: Any, full: bool = True) -> Select[Any]:
    q = (
        select(*_columns(full), *extra)
        .join(s.posts, s.posts.c.id == s.deliveries.c.post_id)
        .join(s.accounts, s.accounts.c.id == s.deliveries.c.account_id)
    )
    if units is not None:
        q = q.where(s.posts.c.unit.in_(sorted(units)))
    return q


class WebViews:
    """Read models of the dashboard and the calendar."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def between(self, start: datetime, end: datetime, units: Collection[str] | None) -> list[CalendarLine]:
        """Every delivery due in ``[start, end)``, soonest first (one query)."""
        d = s.deliveries.c
        q = _joined(units, full=False).where(d.state.in_(ALL_STATES), d.due_at >= start, d.due_at < end)
        q = q.order_by(d.due_at, s.posts.c.key, s.accounts.c.platform, s.accounts.c.name)
        with self.db.read() as conn:
            return [CalendarLine(*r) for r in conn.execute(q)]

    def dashboard(
        self,
        now: datetime,
        units: Collection[str] | None,
        upcoming: Sequence[str],
        results: Sequence[str],
        action: Sequence[str],
        days: int = 7,
        upcoming_limit: int = 100,
        recent_limit: int = 10,
        per_state: int = 20,
    ) -> DashboardRows:
        """The dashboard's lists, in one query.

        What goes out before ``now + days`` (states ``upcoming``, deadline not passed), the latest
        outcomes of the last ``days`` (states ``results``) and, per state of ``action``, the oldest
        ``per_state`` deliveries; with the totals beyond what is read.
        """
        d = s.deliveries.c
        total = func.count().over().label("total")
        soon = (
            _joined(units, literal("upcoming").label("section"), total)
            .where(d.state.in_(list(upcoming)), d.due_at < now + timedelta(days=days), d.deadline >= now)
            .order_by(d.due_at, d.id)
            .limit(upcoming_limit)
            .subquery()
        )
        recent = (
            _joined(units, literal("recent").label("section"), total)
            .where(d.state.in_(list(results)), d.due_at >= now - timedelta(days=days))
            .order_by(d.updated_at.desc(), d.id.desc())
            .limit(recent_limit)
            .subquery()
        )
        ranked = _joined(
            units,
            literal("action").label("section"),
            func.count().over(partition_by=d.state).label("total"),
            func.row_number().over(partition_by=d.state, order_by=(d.due_at, d.id)).label("rank"),
        ).where(d.state.in_(list(action)))
        ranked_q = ranked.subquery()
        todo = select(*[c for c in ranked_q.c if c.name != "rank"]).where(ranked_q.c.rank <= per_state)
        q = union_all(select(soon), select(recent), todo)
        rows = DashboardRows()
        with self.db.read() as conn:
            for r in conn.execute(q):
                line = DeliveryLine(*r[:12])
                if r.section == "upcoming":
                    rows.upcoming.append(line)
                    rows.upcoming_total = int(r.total)
                elif r.section == "recent":
                    rows.recent.append(line)
                else:
                    rows.action.setdefault(line.state, []).append(line)
                    rows.action_counts[line.state] = int(r.total)
        for lines in rows.action.values():
            lines.sort(key=lambda x: (x.due_at, x.id))
        rows.upcoming.sort(key=lambda x: (x.due_at, x.id))
        rows.recent.sort(key=lambda x: (x.updated_at, x.id), reverse=True)
        return rows

    def reauth_accounts(self, units: Collection[str] | None) -> list[ReauthAccount]:
        """Accounts waiting to be connected again (``needs_reauth``)."""
        a = s.accounts.c
        q = select(a.id, a.platform, a.name, a.display_name, a.unit).where(a.status == "needs_reauth")
        if units is not None:
            q = q.where(a.unit.in_(sorted(units)))
        with self.db.read() as conn:
            return [
                ReauthAccount(int(r.id), r.platform, r.name, r.display_name or r.name, r.unit)
                for r in conn.execute(q.order_by(a.platform, a.name))
            ]


__all__ = ["ALL_STATES", "CalendarLine", "DashboardRows", "DeliveryLine", "ReauthAccount", "WebViews"]
