"""The pause page: everyone sees it and what is held; approvers and admins pause (with a reason) and
resume through the same use cases as the CLI, as themselves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from publisher.core.people import Role
from publisher.store import Store
from publisher.store import schema as s
from tests.web.conftest import add_user, sign_in
from tests.web.test_post_page import ADMIN, APPROVER, OFFICER, office, queue, set_unit, spec, states


def audit(store: Store, action: str) -> list[tuple[str, dict[str, object]]]:
    with store.db.read() as conn:
        rows = conn.execute(
            select(s.audit.c.actor, s.audit.c.detail).where(s.audit.c.action == action).order_by(s.audit.c.id)
        ).all()
    return [(r.actor, r.detail or {}) for r in rows]


def test_everyone_sees_the_page_only_approvers_may_pause(client: TestClient, web_store: Store) -> None:
    office(web_store)
    queue(web_store, spec(title="Lịch tiêm chủng"))
    csrf = sign_in(client, OFFICER)
    page = client.get("/pause")
    assert page.status_code == 200
    assert "Tạm dừng lúc này sẽ giữ 1 lượt đăng" in page.text and "Lịch tiêm chủng" in page.text
    assert 'action="/pause"' not in page.text and "Chỉ người duyệt hoặc quản trị" in page.text
    r = client.post("/pause", data={"csrf": csrf, "action": "pause", "reason": "Quốc tang"})
    assert r.status_code == 403
    assert web_store.pause_info() is None and states(web_store) == {"sandbox/demo": "awaiting_approval"}


def test_a_pause_needs_a_reason(client: TestClient, web_store: Store) -> None:
    office(web_store)
    csrf = sign_in(client, APPROVER)
    r = client.post("/pause", data={"csrf": csrf, "action": "pause", "reason": "  "})
    assert r.status_code == 400 and "Hãy ghi lý do tạm dừng" in r.text
    long = client.post("/pause", data={"csrf": csrf, "action": "pause", "reason": "x" * 501})
    assert long.status_code == 400 and "tối đa 500 ký tự" in long.text
    bad = client.post("/pause", data={"csrf": csrf, "action": "xoa-het"})
    assert bad.status_code == 400 and "Yêu cầu không hợp lệ." in bad.text
    assert web_store.pause_info() is None


def test_pause_and_resume_as_the_signed_in_approver(client: TestClient, web_store: Store) -> None:
    office(web_store)
    now = datetime.now(UTC).replace(microsecond=0)
    queue(web_store, spec("sap-toi"), spec("da-qua", due_at=now - timedelta(hours=1)))
    web_store.approve(["sap-toi", "da-qua"], by=APPROVER)
    csrf = sign_in(client, APPROVER)
    r = client.post("/pause", data={"csrf": csrf, "action": "pause", "reason": "Quốc tang"})
    assert r.status_code == 303 and r.headers["location"] == "/pause?done=paused"
    assert {st for key in ("sap-toi", "da-qua") for st in states(web_store, key).values()} == {"paused"}
    assert audit(web_store, "paused")[-1][0] == APPROVER
    assert web_store.pause_info()["by"] == APPROVER  # type: ignore[index]
    page = client.get("/pause?done=paused").text
    assert "Đã tạm dừng; 2 lượt đăng bị giữ." in page
    assert "ĐANG TẠM DỪNG" in page and "Quốc tang" in page  # the banner
    assert "Đang bị giữ (2 lượt đăng)" in page and "trước đó: đã lên lịch" in page
    assert "ĐANG TẠM DỪNG" in client.get("/posts/sap-toi").text  # the banner is on the post page too

    r = client.post("/pause", data={"csrf": csrf, "action": "resume"})
    assert r.status_code == 200 and "Đã tiếp tục; 2 lượt đăng được giải phóng." in r.text
    assert "Sẽ đăng muộn" in r.text and 'href="/posts/da-qua"' in r.text
    assert web_store.pause_info() is None
    assert states(web_store, "sap-toi") == {"sandbox/demo": "scheduled"}
    assert audit(web_store, "resumed")[-1][0] == APPROVER


def test_a_forged_token_does_not_pause(client: TestClient, web_store: Store) -> None:
    office(web_store)
    sign_in(client, ADMIN)
    r = client.post("/pause", data={"csrf": "gia-mao", "action": "pause", "reason": "Quốc tang"})
    assert r.status_code == 403 and web_store.pause_info() is None


def test_what_is_held_is_listed_for_the_users_units_only(client: TestClient, web_store: Store) -> None:
    office(web_store)
    add_user(web_store, "Duyệt Xã B", Role.APPROVER, unit="xa-b")
    queue(web_store, spec("cua-xa-a", title="Bài của xã A"), spec("cua-xa-b", title="Bài của xã B"))
    set_unit(web_store, "cua-xa-a", "xa-a")
    set_unit(web_store, "cua-xa-b", "xa-b")
    csrf = sign_in(client, "Duyệt Xã B")
    client.post("/pause", data={"csrf": csrf, "action": "pause", "reason": "Bão"})
    page = client.get("/pause").text
    assert "Bài của xã B" in page and "Bài của xã A" not in page and "Đang bị giữ (1 lượt đăng)" in page
    resumed = client.post("/pause", data={"csrf": csrf, "action": "resume"}).text
    assert "Đã tiếp tục; 1 lượt đăng được giải phóng." in resumed
    assert states(web_store, "cua-xa-a") == {"sandbox/demo": "awaiting_approval"}
