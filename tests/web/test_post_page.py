"""The post page: what it shows, its photos, and its forms over the CLI's use cases (approve with the
four-eyes rule, reject with a comment, cancel, retry), the web user as the actor, units, CSRF."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select, update

from publisher.actions.cancel import cancel_deliveries
from publisher.actions.retry import retry_deliveries
from publisher.actions.users import set_policy
from publisher.core.models import PostSpec, Target
from publisher.core.people import Role
from publisher.i18n import set_language
from publisher.store import Store
from publisher.store import schema as s
from tests.web.conftest import add_user, sign_in

DEMO = Target.parse("sandbox/demo")
OTHER = Target.parse("sandbox/xa-khac")
OFFICER, APPROVER, ADMIN = "Cán Bộ An", "Trưởng Ban Bình", "Quản Trị"


def spec(key: str = "bai-1", **kw: Any) -> PostSpec:
    values: dict[str, Any] = dict(
        key=key,
        title="Thông báo lịch tiêm chủng",
        text="Tiêm chủng sáng thứ Bảy\ntại trạm y tế xã.",
        due_at=datetime.now(UTC).replace(microsecond=0) + timedelta(days=2),
        timezone="Asia/Ho_Chi_Minh",
        targets=(DEMO,),
    )
    values.update(kw)
    return PostSpec(**values)


def office(store: Store) -> None:
    """The people of a commune office, and its demo account."""
    add_user(store, OFFICER, Role.OFFICER)
    add_user(store, APPROVER, Role.APPROVER)
    add_user(store, ADMIN, Role.ADMIN)
    for target in (DEMO, OTHER):
        store.add_account(target, ADMIN)


def queue(store: Store, *specs: PostSpec, by: str = OFFICER) -> None:
    store.queue(list(specs) or [spec()], actor=by)


def states(store: Store, key: str = "bai-1") -> dict[str, str]:
    return {f"{r.platform}/{r.name}": r.state for r in store.deliveries() if r.key == key}


def set_state(store: Store, state: str, key: str = "bai-1", **values: Any) -> None:
    """Where a worker (or the platform's answer) would have left the post's deliveries."""
    post_id = store.post_detail(key)["post"].id
    with store.db.write() as conn:
        conn.execute(
            update(s.deliveries).where(s.deliveries.c.post_id == post_id).values(state=state, **values)
        )


def set_unit(store: Store, key: str, unit: str) -> None:
    with store.db.write() as conn:
        conn.execute(update(s.posts).where(s.posts.c.key == key).values(unit=unit))


def trail(store: Store, key: str = "bai-1") -> list[tuple[str, str, dict[str, Any]]]:
    post_id = store.post_detail(key)["post"].id
    with store.db.read() as conn:
        rows = conn.execute(
            select(s.audit.c.actor, s.audit.c.action, s.audit.c.detail)
            .where(s.audit.c.post_id == post_id)
            .order_by(s.audit.c.id)
        ).all()
    return [(r.actor, r.action, r.detail or {}) for r in rows]


# -- what the page shows -----------------------------------------------------------------------


def test_the_page_shows_the_post_its_deliveries_attempts_links_and_trail(
    client: TestClient, web_store: Store
) -> None:
    office(web_store)
    queue(web_store, spec(targets=(DEMO, OTHER)))
    web_store.approve(["bai-1"], by=APPROVER)
    post_id = web_store.post_detail("bai-1")["post"].id
    with web_store.db.write() as conn:
        demo = (
            conn.execute(select(s.deliveries.c.id).where(s.deliveries.c.post_id == post_id)).scalars().first()
        )
        conn.execute(
            update(s.deliveries)
            .where(s.deliveries.c.id == demo)
            .values(state="published", remote_url="https://sandbox.example/p/42")
        )
        conn.execute(
            s.attempts.insert().values(
                delivery_id=demo,
                number=1,
                kind="publish",
                started_at=datetime.now(UTC),
                outcome="failed",
                code="timeout",
                reason="Máy chủ không trả lời",
                content_hash="x",
            )
        )
    sign_in(client, OFFICER)
    page = client.get("/posts/bai-1")
    assert page.status_code == 200
    html = page.text
    assert "Thông báo lịch tiêm chủng" in html and "tại trạm y tế xã." in html
    assert 'class="chip state-published"' in html and 'class="chip state-scheduled"' in html
    assert 'href="https://sandbox.example/p/42"' in html
    assert "Máy chủ không trả lời" in html and "timeout" in html  # the attempt, its outcome and reason
    assert "sandbox/xa-khac" in html
    assert OFFICER in html and APPROVER in html  # the trail: who queued, who approved
    assert 'href="/posts/bai-1/edit"' in html
    assert "/posts/bai-1/approve" not in html  # an officer is offered no approval
    assert "<script>" not in html and "style=" not in html


def test_an_unknown_post_is_404(client: TestClient, web_store: Store) -> None:
    office(web_store)
    sign_in(client, OFFICER)
    assert client.get("/posts/khong-co").status_code == 404
    assert client.get("/posts/..%2F..%2Fetc").status_code == 404


def test_photos_are_served_only_from_the_posts_own_list(
    client: TestClient, web_store: Store, tmp_path: Path
) -> None:
    office(web_store)
    photo = tmp_path / "anh.jpg"
    Image.new("RGB", (1200, 900), "red").save(photo)
    notes = tmp_path / "ghi-chu.txt"
    notes.write_text("không phải ảnh", encoding="utf-8")
    queue(web_store, spec("co-anh", images=(photo,)), spec("khong-anh"), spec("sai-tep", images=(notes,)))
    sign_in(client, OFFICER)
    r = client.get("/posts/co-anh/media/0")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(r.content)) as thumb:  # a thumbnail, not the original
        assert max(thumb.size) <= 480
    assert client.get("/posts/co-anh/media/0?size=large").status_code == 200
    assert client.get("/posts/co-anh/media/1").status_code == 404  # not in its list
    assert client.get("/posts/khong-anh/media/0").status_code == 404  # another post's photo is not its
    assert client.get("/posts/sai-tep/media/0").status_code == 404  # only images ever leave
    for path in (
        "/posts/co-anh/media/-1",
        "/posts/co-anh/media/..%2F..%2Fetc%2Fpasswd",
        "/posts/co-anh/media/x",
    ):
        assert client.get(path).status_code == 404
    assert client.get("/posts/co-anh/media/0?size=full").status_code == 404
    assert client.get(f"/posts/co-anh/media/{photo}").status_code == 404


def test_another_units_post_is_404_everywhere(client: TestClient, web_store: Store, tmp_path: Path) -> None:
    office(web_store)
    add_user(web_store, "Duyệt Xã B", Role.APPROVER, unit="xa-b")
    photo = tmp_path / "anh.jpg"
    Image.new("RGB", (40, 30), "blue").save(photo)
    queue(web_store, spec(images=(photo,)))
    set_unit(web_store, "bai-1", "xa-a")
    csrf = sign_in(client, "Duyệt Xã B")
    assert client.get("/posts/bai-1").status_code == 404
    assert client.get("/posts/bai-1/media/0").status_code == 404
    for action in ("approve", "cancel", "retry"):
        assert client.post(f"/posts/bai-1/{action}", data={"csrf": csrf}).status_code == 404
    assert client.post("/posts/bai-1/reject", data={"csrf": csrf, "comment": "x"}).status_code == 404
    assert states(web_store) == {"sandbox/demo": "awaiting_approval"}
    sign_in(client, ADMIN)  # an admin sees every unit
    assert client.get("/posts/bai-1").status_code == 200


# -- approve and reject ----------------------------------------------------------------------


def test_an_approver_approves_and_is_the_actor(client: TestClient, web_store: Store) -> None:
    office(web_store)
    queue(web_store)
    csrf = sign_in(client, APPROVER)
    r = client.post("/posts/bai-1/approve", data={"csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/posts/bai-1?done=approved"
    assert states(web_store) == {"sandbox/demo": "scheduled"}
    assert trail(web_store)[-1][:2] == (APPROVER, "approved")
    assert "Đã duyệt bài." in client.get(r.headers["location"]).text


def test_the_four_eyes_rule_refuses_self_approval_through_the_web(
    client: TestClient, web_store: Store
) -> None:
    office(web_store)
    queue(web_store, by=APPROVER)  # the approver wrote it
    csrf = sign_in(client, APPROVER)
    r = client.post("/posts/bai-1/approve", data={"csrf": csrf})
    assert r.status_code == 409
    assert "không thể tự duyệt" in r.text and 'role="alert"' in r.text
    assert states(web_store) == {"sandbox/demo": "awaiting_approval"}
    set_policy(web_store, web_store.settings, "allow-self-approval", "true", by=ADMIN)  # the office allows it
    assert client.post("/posts/bai-1/approve", data={"csrf": csrf}).status_code == 303
    assert states(web_store) == {"sandbox/demo": "scheduled"}


def test_an_officer_may_not_approve_or_reject(client: TestClient, web_store: Store) -> None:
    office(web_store)
    queue(web_store)
    csrf = sign_in(client, OFFICER)
    assert client.post("/posts/bai-1/approve", data={"csrf": csrf}).status_code == 403
    assert client.post("/posts/bai-1/reject", data={"csrf": csrf, "comment": "Sai ngày"}).status_code == 403
    assert states(web_store) == {"sandbox/demo": "awaiting_approval"}


def test_a_forged_csrf_token_is_refused(client: TestClient, web_store: Store) -> None:
    office(web_store)
    queue(web_store)
    sign_in(client, APPROVER)
    assert client.post("/posts/bai-1/approve", data={"csrf": "gia-mao"}).status_code == 403
    assert client.post("/posts/bai-1/approve", data={}).status_code == 403
    assert states(web_store) == {"sandbox/demo": "awaiting_approval"}


def test_a_rejection_needs_a_comment(client: TestClient, web_store: Store) -> None:
    office(web_store)
    queue(web_store)
    csrf = sign_in(client, APPROVER)
    r = client.post("/posts/bai-1/reject", data={"csrf": csrf, "comment": "   "})
    assert r.status_code == 400 and "Hãy ghi lý do trả lại bài" in r.text
    too_long = client.post("/posts/bai-1/reject", data={"csrf": csrf, "comment": "x" * 2001})
    assert too_long.status_code == 400 and "tối đa 2000 ký tự" in too_long.text
    assert states(web_store) == {"sandbox/demo": "awaiting_approval"}


def test_a_rejected_post_goes_back_to_its_officer_and_can_be_approved_after_an_edit(
    client: TestClient, web_store: Store
) -> None:
    office(web_store)
    first = spec()
    queue(web_store, first)
    csrf = sign_in(client, APPROVER)
    r = client.post("/posts/bai-1/reject", data={"csrf": csrf, "comment": "Sai giờ tiêm, sửa lại"})
    assert r.status_code == 303 and r.headers["location"] == "/posts/bai-1?done=rejected"
    assert states(web_store) == {"sandbox/demo": "draft"}  # not sent
    actor, action, detail = trail(web_store)[-1]
    assert (actor, action, detail["comment"]) == (APPROVER, "rejected", "Sai giờ tiêm, sửa lại")
    again = client.post("/posts/bai-1/reject", data={"csrf": csrf, "comment": "lần nữa"})
    assert again.status_code == 400 and "không có lượt đăng nào đang chờ duyệt" in again.text
    assert client.post("/posts/bai-1/approve", data={"csrf": csrf}).status_code == 409  # nothing awaits

    sign_in(client, OFFICER)
    page = client.get("/posts/bai-1").text
    assert "Sai giờ tiêm, sửa lại" in page and "Sửa bài để gửi duyệt lại" in page
    queue(web_store, replace(first, text="Tiêm chủng sáng Chủ nhật."))  # the officer's edit
    assert states(web_store) == {"sandbox/demo": "awaiting_approval"}
    assert "Sửa bài để gửi duyệt lại" not in client.get("/posts/bai-1").text

    csrf = sign_in(client, APPROVER)
    assert client.post("/posts/bai-1/approve", data={"csrf": csrf}).status_code == 303
    assert states(web_store) == {"sandbox/demo": "scheduled"}


# -- cancel and retry -------------------------------------------------------------------------


def test_cancel_moves_deliveries_as_the_cli_does(client: TestClient, web_store: Store) -> None:
    office(web_store)
    queue(web_store, spec("bai-1"), spec("bai-cli"))
    for key in ("bai-1", "bai-cli"):
        set_state(web_store, "unconfirmed", key)  # may be on the platform: a cancel is a request
    cli = cancel_deliveries(web_store, web_store.settings, ["bai-cli"])
    csrf = sign_in(client, OFFICER)
    r = client.post("/posts/bai-1/cancel", data={"csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/posts/bai-1?done=cancel_requested"
    assert cli.pending and states(web_store, "bai-1") == states(web_store, "bai-cli") == {
        "sandbox/demo": "unconfirmed"
    }
    assert trail(web_store)[-1][:2] == (OFFICER, "cancel_requested")
    assert trail(web_store, "bai-cli")[-1][:2] == ("can-bo", "cancel_requested")  # the CLI: PUBLISHER_USER

    queue(web_store, spec("bai-2"))
    r = client.post("/posts/bai-2/cancel", data={"csrf": csrf})
    assert r.headers["location"] == "/posts/bai-2?done=cancelled"
    assert states(web_store, "bai-2") == {"sandbox/demo": "cancelled"}
    assert trail(web_store, "bai-2")[-1][:2] == (OFFICER, "cancelled")
    assert "Đã hủy." in client.get(r.headers["location"]).text
    again = client.post("/posts/bai-2/cancel", data={"csrf": csrf})
    assert again.headers["location"] == "/posts/bai-2?done=cancel_none"


def test_one_target_is_cancelled_alone_and_a_foreign_target_is_refused(
    client: TestClient, web_store: Store
) -> None:
    office(web_store)
    queue(web_store, spec(targets=(DEMO, OTHER)))
    csrf = sign_in(client, OFFICER)
    r = client.post("/posts/bai-1/cancel", data={"csrf": csrf, "target": "sandbox/xa-khac"})
    assert r.status_code == 303
    assert states(web_store) == {"sandbox/demo": "awaiting_approval", "sandbox/xa-khac": "cancelled"}
    bad = client.post("/posts/bai-1/cancel", data={"csrf": csrf, "target": "facebook/trang-khac"})
    assert bad.status_code == 400 and "không thuộc bài" in bad.text
    assert states(web_store)["sandbox/demo"] == "awaiting_approval"


def test_retry_moves_deliveries_as_the_cli_does(client: TestClient, web_store: Store) -> None:
    office(web_store)
    queue(web_store, spec("bai-1"), spec("bai-cli"))
    web_store.approve(["bai-1", "bai-cli"], by=APPROVER)
    for key in ("bai-1", "bai-cli"):
        set_state(web_store, "failed", key, last_code="500", last_reason="Lỗi máy chủ")
    cli = retry_deliveries(web_store, web_store.settings, ["bai-cli"])
    csrf = sign_in(client, OFFICER)
    page = client.get("/posts/bai-1").text
    assert "Lỗi máy chủ" in page and 'action="/posts/bai-1/retry"' in page
    r = client.post("/posts/bai-1/retry", data={"csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/posts/bai-1?done=retried"
    assert cli.report.done == [("bai-cli:sandbox/demo", "scheduled")]
    assert states(web_store, "bai-1") == states(web_store, "bai-cli") == {"sandbox/demo": "scheduled"}
    actor, action, detail = trail(web_store)[-1]
    assert (actor, action, detail["target_state"]) == (OFFICER, "retry", "scheduled")
    again = client.post("/posts/bai-1/retry", data={"csrf": csrf})  # scheduled: nothing to retry
    assert again.headers["location"] == "/posts/bai-1?done=retry_none"
    assert "Không có lượt nào để đăng lại." in client.get(again.headers["location"]).text


def test_a_retry_refused_by_the_use_case_shows_why(client: TestClient, web_store: Store) -> None:
    office(web_store)
    queue(web_store, spec(draft=True))
    set_state(web_store, "failed")
    csrf = sign_in(client, OFFICER)
    r = client.post("/posts/bai-1/retry", data={"csrf": csrf})
    assert r.status_code == 400 and "bản nháp" in r.text
    assert states(web_store) == {"sandbox/demo": "failed"}


def test_unknown_done_codes_are_not_shown(client: TestClient, web_store: Store) -> None:
    office(web_store)
    queue(web_store)
    sign_in(client, OFFICER)
    page = client.get("/posts/bai-1?done=<b>gia</b>,approved")
    assert "&lt;b&gt;" not in page.text and "<b>gia</b>" not in page.text
    assert "Đã duyệt bài." in page.text


def test_a_post_held_by_a_pause_can_be_sent_back_and_stays_back_on_resume(
    client: TestClient, web_store: Store
) -> None:
    office(web_store)
    queue(web_store)
    web_store.pause("Bão", "test")
    csrf = sign_in(client, APPROVER)
    r = client.post("/posts/bai-1/reject", data={"csrf": csrf, "comment": "Chờ sau bão"})
    assert r.status_code == 303 and states(web_store) == {"sandbox/demo": "draft"}
    web_store.resume("test")
    assert states(web_store) == {"sandbox/demo": "draft"}


def test_the_page_speaks_english_when_asked(client: TestClient, web_store: Store) -> None:
    office(web_store)
    queue(web_store)
    sign_in(client, APPROVER)
    set_language("en")  # the autouse fixture of tests/conftest.py sets it back to vi
    html = client.get("/posts/bai-1").text
    assert "Send back" in html and "awaiting approval" in html and "Trả lại bài" not in html
