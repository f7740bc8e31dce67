"""The dashboard: next days, recent results with their live links, what needs action, the pause
banner; only the viewer's units; a bounded number of queries whatever the number of deliveries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, select, update

from publisher.actions.signin import SignIn
from publisher.core.models import PostSpec, Target
from publisher.core.people import DEFAULT_UNIT, Role
from publisher.store import Store
from publisher.store import schema as s
from publisher.store.users import Users
from publisher.store.web import WebRepo
from publisher.store.webviews import WebViews
from tests.web.conftest import add_user, sign_in

NOW = datetime.now(UTC)


def put(
    store: Store,
    key: str,
    due: datetime,
    state: str = "scheduled",
    unit: str = DEFAULT_UNIT,
    target: str = "facebook/trang-xa",
    title: str | None = None,
    remote_url: str | None = None,
) -> None:
    """One post with one delivery in ``state``, of ``unit`` (post and account)."""
    tg = Target.parse(target)
    store.add_account(tg, actor="test", exist_ok=True)
    spec = PostSpec(
        key=key,
        title=title or f"Tiêu đề {key}",
        text=f"Nội dung {key}",
        due_at=due,
        timezone="Asia/Ho_Chi_Minh",
        targets=(tg,),
    )
    store.queue([spec], actor="can-bo")
    with store.db.write() as conn:
        post_id = conn.execute(select(s.posts.c.id).where(s.posts.c.key == key)).scalar_one()
        conn.execute(update(s.posts).where(s.posts.c.id == post_id).values(unit=unit))
        conn.execute(
            update(s.accounts)
            .where(s.accounts.c.platform == tg.platform.value, s.accounts.c.name == tg.name)
            .values(unit=unit)
        )
        conn.execute(
            update(s.deliveries)
            .where(s.deliveries.c.post_id == post_id)
            .values(state=state, remote_url=remote_url, published_at=due if state == "published" else None)
        )


@contextmanager
def counting(store: Store) -> Iterator[list[str]]:
    """The SQL statements run while the block runs."""
    seen: list[str] = []

    def _count(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(store.db.engine, "before_cursor_execute", _count)
    try:
        yield seen
    finally:
        event.remove(store.db.engine, "before_cursor_execute", _count)


def test_the_dashboard_lists_what_goes_out_what_happened_and_what_needs_action(
    client: TestClient, web_store: Store
) -> None:
    add_user(web_store, "an", Role.OFFICER)
    put(web_store, "sap-dang", NOW + timedelta(days=2), title="Lịch tiêm chủng tuần tới")
    put(web_store, "con-xa", NOW + timedelta(days=12), title="Bài còn xa")
    put(web_store, "da-dang", NOW - timedelta(hours=3), "published", remote_url="https://facebook.com/p/123")
    put(web_store, "lien-ket-xau", NOW - timedelta(hours=2), "published", remote_url="javascript:alert(1)")
    put(web_store, "hong", NOW - timedelta(days=1), "failed", title="Bài bị lỗi")
    put(web_store, "lo-gio", NOW - timedelta(days=1), "missed", target="zalo/oa-xa")
    put(web_store, "cho-duyet", NOW + timedelta(days=1), "awaiting_approval")
    put(web_store, "chua-ro", NOW - timedelta(hours=5), "unconfirmed", target="youtube/kenh-xa")
    with web_store.db.write() as conn:
        conn.execute(update(s.accounts).where(s.accounts.c.name == "oa-xa").values(status="needs_reauth"))
    sign_in(client, "an")
    r = client.get("/")
    assert r.status_code == 200
    upcoming = r.text.split('id="dash-upcoming"')[1].split("</section>")[0]
    assert "Lịch tiêm chủng tuần tới" in upcoming and 'href="/posts/sap-dang"' in upcoming
    assert "Bài còn xa" not in r.text  # 12 days away
    recent = r.text.split('id="dash-recent"')[1].split("</section>")[0]
    assert 'href="https://facebook.com/p/123"' in recent and 'href="/posts/da-dang"' in recent
    assert "javascript:" not in r.text and 'href="/posts/lien-ket-xau"' in recent
    action = r.text.split('id="dash-action"')[1].split("</section>")[0]
    for key, state in [
        ("hong", "failed"),
        ("lo-gio", "missed"),
        ("cho-duyet", "awaiting_approval"),
        ("chua-ro", "unconfirmed"),
    ]:
        block = action.split(f'id="act-{state}"')[1].split("</table>")[0]
        assert f'href="/posts/{key}"' in block and f"chip state-{state}" in block
    assert 'id="act-reauth"' in action and "oa-xa" in action and 'href="/accounts"' in action
    assert '<img class="icon" src="/static/icons/youtube.svg"' in action and 'alt="YouTube"' in action


def test_nothing_to_do_says_so(client: TestClient, web_store: Store) -> None:
    add_user(web_store, "an", Role.OFFICER)
    sign_in(client, "an")
    r = client.get("/")
    assert r.status_code == 200
    assert "Không có việc gì cần xử lý." in r.text and "Không có bài nào sắp đăng" in r.text
    assert 'class="banner paused"' not in r.text


def test_the_pause_banner_shows_who_and_why(client: TestClient, web_store: Store) -> None:
    add_user(web_store, "an", Role.OFFICER)
    web_store.pause("Quốc tang", "truong-ban")
    sign_in(client, "an")
    r = client.get("/")
    banner = r.text.split('class="banner paused"')[1].split("</div>")[0]
    assert "Quốc tang" in banner and "truong-ban" in banner
    assert 'class="banner paused"' in client.get("/calendar").text


def test_an_officer_sees_only_their_unit_and_an_admin_sees_all(client: TestClient, web_store: Store) -> None:
    add_user(web_store, "an", Role.OFFICER, unit="xa-a")
    add_user(web_store, "quan-tri", Role.ADMIN)
    put(web_store, "bai-a", NOW + timedelta(days=1), unit="xa-a", target="facebook/trang-a", title="Tin xã A")
    put(web_store, "bai-b", NOW + timedelta(days=1), unit="xa-b", target="facebook/trang-b", title="Tin xã B")
    put(
        web_store,
        "loi-b",
        NOW - timedelta(days=1),
        "failed",
        unit="xa-b",
        target="zalo/oa-b",
        title="Lỗi xã B",
    )
    with web_store.db.write() as conn:
        conn.execute(update(s.accounts).where(s.accounts.c.name == "oa-b").values(status="needs_reauth"))
    sign_in(client, "an")
    mine = client.get("/").text
    assert "Tin xã A" in mine
    assert "Tin xã B" not in mine and "Lỗi xã B" not in mine and "oa-b" not in mine
    client.cookies.clear()
    sign_in(client, "quan-tri")
    everything = client.get("/").text
    assert "Tin xã A" in everything and "Tin xã B" in everything and "Lỗi xã B" in everything
    assert "oa-b" in everything and "xa-b" in everything  # the unit column for an admin


def test_a_one_time_password_goes_to_the_password_page_first(client: TestClient, web_store: Store) -> None:
    user = add_user(web_store, "an", Role.OFFICER)
    SignIn(Users(web_store.db), WebRepo(web_store.db), web_store.settings).set_password(
        user, "mot-lan-thoi-123", by="init", one_time=True
    )
    r = client.post("/login", data={"name": "an", "password": "mot-lan-thoi-123", "next": "/"})
    assert r.status_code == 303 and r.headers["location"] == "/"
    for path in ("/", "/calendar", "/calendar?month=2026-04"):
        r = client.get(path)
        assert r.status_code == 303 and r.headers["location"] == "/password", path


def test_without_a_session_the_pages_send_to_login(client: TestClient) -> None:
    assert client.get("/").headers["location"] == "/login?next=/"
    assert client.get("/calendar").headers["location"] == "/login?next=/calendar"


def test_the_lists_are_limited_and_count_what_they_leave_out(web_store: Store) -> None:
    for i in range(5):
        put(web_store, f"hong-{i}", NOW - timedelta(days=1, minutes=i), "failed")
    for i in range(4):
        put(web_store, f"sap-{i}", NOW + timedelta(hours=i + 1))
    views = WebViews(web_store.db)
    rows = views.dashboard(NOW, None, ["scheduled"], ["published"], ["failed"], upcoming_limit=3, per_state=2)
    assert [x.post_key for x in rows.upcoming] == ["sap-0", "sap-1", "sap-2"] and rows.upcoming_total == 4
    assert [x.post_key for x in rows.action["failed"]] == ["hong-4", "hong-3"]
    assert rows.action_counts == {"failed": 5}
    assert views.dashboard(NOW, {"xa-khac"}, ["scheduled"], ["published"], ["failed"]).upcoming == []


def test_the_dashboard_reads_in_a_fixed_number_of_queries(client: TestClient, web_store: Store) -> None:
    add_user(web_store, "an", Role.OFFICER)
    sign_in(client, "an")
    put(web_store, "mot", NOW + timedelta(hours=1))
    with counting(web_store) as few:
        assert client.get("/").status_code == 200
    for i in range(30):
        put(web_store, f"nhieu-{i}", NOW + timedelta(hours=i + 2), "failed" if i % 3 else "scheduled")
    with counting(web_store) as many:
        assert client.get("/").status_code == 200
    assert len(many) == len(few)
