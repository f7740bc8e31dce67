"""``publisher.actions.status``: the overview an officer reads first."""

from __future__ import annotations

from sqlalchemy import update

from publisher.actions.queue import queue_posts
from publisher.actions.status import overview
from publisher.store import Store
from publisher.store import schema as s
from tests.actions.conftest import DEMO, spec


def test_overview_sorts_what_is_coming_from_what_happened(office: Store) -> None:
    queue_posts(office, office.settings, [spec("sap-toi"), spec("da-dang")], None)
    with office.db.write() as conn:
        conn.execute(update(s.deliveries).where(s.deliveries.c.due_at.is_not(None)).values(state="scheduled"))
    done = next(int(r.id) for r in office.deliveries() if r.key == "da-dang")
    with office.db.write() as conn:
        conn.execute(update(s.deliveries).where(s.deliveries.c.id == done).values(state="published"))
    office.set_account_status(office.account(DEMO).id, "needs_reauth", "Token has been expired or revoked.")
    o = overview(office)
    assert [r.key for r in o.upcoming] == ["sap-toi"] and [r.key for r in o.recent] == ["da-dang"]
    assert [f"{a.platform}/{a.name}" for a in o.reauth] == ["sandbox/demo"]
    assert o.counts == {"scheduled": 1, "published": 1} and o.pause is None
