"""The approver's queue: who may see it, oldest first, what changed since a previous approval, units,
and approving or rejecting from it."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from publisher.core.people import Role
from publisher.store import Store
from publisher.store import schema as s
from tests.web.conftest import add_user, sign_in
from tests.web.test_post_page import ADMIN, APPROVER, OFFICER, office, queue, set_unit, spec, states


def test_only_approvers_and_admins_see_the_queue(client: TestClient, web_store: Store) -> None:
    office(web_store)
    sign_in(client, OFFICER)
    assert client.get("/approvals").status_code == 403
    sign_in(client, APPROVER)
    r = client.get("/approvals")
    assert r.status_code == 200 and "Không có bài nào chờ duyệt." in r.text


def test_the_queue_is_oldest_first_and_leaves_out_what_does_not_wait(
    client: TestClient, web_store: Store
) -> None:
    office(web_store)
    queue(web_store, spec("moi", title="Bài mới gửi"), spec("cu", title="Bài gửi lâu rồi"), spec("da-duyet"))
    web_store.approve(["da-duyet"], by=APPROVER)
    now = datetime.now(UTC)
    with web_store.db.write() as conn:
        conn.execute(update(s.posts).where(s.posts.c.key == "cu").values(updated_at=now - timedelta(days=2)))
        conn.execute(
            update(s.posts).where(s.posts.c.key == "moi").values(updated_at=now - timedelta(hours=1))
        )
    sign_in(client, APPROVER)
    html = client.get("/approvals").text
    assert html.index("Bài gửi lâu rồi") < html.index("Bài mới gửi")
    assert 'href="/posts/da-duyet"' not in html
    assert "Duyệt lần đầu." in html


def test_what_changed_since_the_previous_approval_is_shown(client: TestClient, web_store: Store) -> None:
    office(web_store)
    first = spec(text="Tiêm chủng sáng thứ Bảy.")
    queue(web_store, first)
    web_store.approve(["bai-1"], by="Trưởng Ban Bình")
    queue(web_store, replace(first, title="Lịch tiêm (đã đổi)", text="Tiêm chủng sáng Chủ nhật."))  # voids it
    assert states(web_store) == {"sandbox/demo": "awaiting_approval"}
    sign_in(client, ADMIN)
    html = client.get("/approvals").text
    assert re.search(r"Đã thay đổi từ lần duyệt ngày \d\d/\d\d/\d{4} \d\d:\d\d của Trưởng Ban Bình", html)
    assert "-Tiêm chủng sáng thứ Bảy." in html and "+Tiêm chủng sáng Chủ nhật." in html
    assert "title: “Thông báo lịch tiêm chủng” → “Lịch tiêm (đã đổi)”" in html
    assert f"{OFFICER} sửa" in html and "title, text" in html  # the edit since the approval
    post = client.get("/posts/bai-1").text  # the post page says the same
    assert "+Tiêm chủng sáng Chủ nhật." in post


def test_another_units_posts_are_not_in_the_queue(client: TestClient, web_store: Store) -> None:
    office(web_store)
    add_user(web_store, "Duyệt Xã B", Role.APPROVER, unit="xa-b")
    queue(web_store, spec("cua-xa-a", title="Bài của xã A"), spec("cua-xa-b", title="Bài của xã B"))
    set_unit(web_store, "cua-xa-a", "xa-a")
    set_unit(web_store, "cua-xa-b", "xa-b")
    sign_in(client, "Duyệt Xã B")
    html = client.get("/approvals").text
    assert "Bài của xã B" in html and "Bài của xã A" not in html
    sign_in(client, ADMIN)
    html = client.get("/approvals").text
    assert "Bài của xã A" in html and "Bài của xã B" in html


def test_approving_and_rejecting_from_the_queue_come_back_to_it(client: TestClient, web_store: Store) -> None:
    office(web_store)
    queue(web_store, spec("bai-1", title="Bài một"), spec("bai-2", title="Bài hai"))
    csrf = sign_in(client, APPROVER)
    r = client.post("/posts/bai-1/approve", data={"csrf": csrf, "back": "approvals"})
    assert r.status_code == 303 and r.headers["location"] == "/approvals?done=approved&key=bai-1"
    html = client.get(r.headers["location"]).text
    assert "Đã duyệt bài bai-1." in html and "Bài một" not in html and "Bài hai" in html
    r = client.post("/posts/bai-2/reject", data={"csrf": csrf, "back": "approvals", "comment": "Thiếu ảnh"})
    assert r.headers["location"] == "/approvals?done=rejected&key=bai-2"
    assert "Bài hai" not in client.get(r.headers["location"]).text
    assert states(web_store, "bai-2") == {"sandbox/demo": "draft"}
    r = client.post("/posts/bai-1/approve", data={"csrf": csrf, "back": "https://evil.example"})
    assert r.status_code == 409  # nothing waits any more; and never an outside address
    assert "không có lượt đăng nào đang chờ duyệt" in r.text


def test_a_post_back_after_a_rejection_says_so(client: TestClient, web_store: Store) -> None:
    office(web_store)
    first = spec()
    queue(web_store, first)
    csrf = sign_in(client, APPROVER)
    client.post("/posts/bai-1/reject", data={"csrf": csrf, "comment": "Sai giờ"})
    queue(web_store, replace(first, text="Đã sửa giờ."))
    html = client.get("/approvals").text
    assert "Đã bị trả lại ngày" in html and "“Sai giờ”" in html
