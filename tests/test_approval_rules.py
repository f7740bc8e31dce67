"""The four-eyes rule and re-approval, through the use cases (publisher/actions), on SQLite and
PostgreSQL: named users, spelling variants are one person, editors are authors, the office policy,
and an approval that covers the files as they are on disk."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from publisher.actions.approve import approve_posts
from publisher.actions.publish import Publisher
from publisher.actions.queue import queue_posts
from publisher.actions.users import add_user, policies, remove_user, set_policy
from publisher.core.approval import Change
from publisher.core.models import Platform, PostSpec, Target
from publisher.core.people import name_key
from publisher.errors import ApprovalRefused, UserError
from publisher.store import Store
from publisher.store import schema as s
from publisher.store.claims import claim_due

DEMO = Target(Platform.SANDBOX, "demo")
A = "Nguyễn Văn A"
DUE = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)


def spec(key: str = "bai-1", **kw: Any) -> PostSpec:
    values: dict[str, Any] = dict(
        key=key,
        title="Thông báo lịch tiêm chủng",
        text="Nội dung thông báo.",
        due_at=DUE,
        timezone="Asia/Ho_Chi_Minh",
        targets=(DEMO,),
        source_file="/lich/2026.yaml",
        source_line=3,
    )
    values.update(kw)
    return PostSpec(**values)


@pytest.fixture
def office(store: Store) -> Store:
    store.add_account(DEMO, "quan-tri")
    add_user(store, store.settings, "Quản trị", role="admin")
    for name, role in ((A, "approver"), ("Trần B", "approver"), ("Lê C", "approver"), ("Phạm D", "officer")):
        add_user(store, store.settings, name, role=role, by="Quản trị")
    return store


def states(store: Store, key: str = "bai-1") -> set[str]:
    return {r.state for r in store.deliveries() if r.key == key}


@pytest.mark.parametrize(
    "variant",
    [
        "nguyễn văn a",
        " Nguyễn  Văn A ",
        unicodedata.normalize("NFD", A),
        "NGUYỄN VĂN A",
        "Nguyễn\tVăn\u00a0A",
    ],
)
def test_every_spelling_of_the_author_is_refused(office: Store, variant: str) -> None:
    queue_posts(office, office.settings, [spec()], A)
    with pytest.raises(ApprovalRefused, match="không thể tự duyệt"):
        approve_posts(office, office.settings, ["bai-1"], variant)
    assert states(office) == {"awaiting_approval"}
    approve_posts(office, office.settings, ["bai-1"], "trần b")
    post = office.post_detail("bai-1")["post"]
    assert (post.queued_by, post.approved_by) == (A, "Trần B")  # the users' own spelling is recorded


def test_an_editor_cannot_approve_their_own_edit(office: Store) -> None:
    queue_posts(office, office.settings, [spec()], A)
    queue_posts(office, office.settings, [spec(text="Nội dung đã sửa bởi B.")], " trần  b")
    for who in ("Trần B", A):  # the editor, and the one who queued the content that was never approved
        with pytest.raises(ApprovalRefused, match="không thể tự duyệt"):
            approve_posts(office, office.settings, ["bai-1"], who)
    approve_posts(office, office.settings, ["bai-1"], "Lê C")
    assert states(office) == {"scheduled"}
    # after C approved A's post, B edits: A (not an author of this edit) may approve it, B may not
    queue_posts(office, office.settings, [spec(text="B sửa lần hai.")], "Trần B")
    assert states(office) == {"awaiting_approval"}
    with pytest.raises(ApprovalRefused, match="không thể tự duyệt"):
        approve_posts(office, office.settings, ["bai-1"], "TRẦN B")
    approve_posts(office, office.settings, ["bai-1"], A)
    assert states(office) == {"scheduled"}


def test_a_campaign_edit_does_not_make_an_author(office: Store) -> None:
    queue_posts(office, office.settings, [spec()], A)
    queue_posts(office, office.settings, [spec(campaign="Tiêm chủng 2026")], "Trần B")  # not published
    approve_posts(office, office.settings, ["bai-1"], "Trần B")
    assert states(office) == {"scheduled"}


def test_who_may_approve_at_all(office: Store) -> None:
    queue_posts(office, office.settings, [spec()], A)
    with pytest.raises(UserError, match="không phải người dùng"):
        approve_posts(office, office.settings, ["bai-1"], "Người Lạ")
    with pytest.raises(ApprovalRefused, match="chỉ người duyệt hoặc quản trị"):
        approve_posts(office, office.settings, ["bai-1"], "phạm d")  # an officer
    remove_user(office, office.settings, "Lê C", by="Quản trị")
    with pytest.raises(UserError, match="vô hiệu hóa"):
        approve_posts(office, office.settings, ["bai-1"], "Lê C")
    assert states(office) == {"awaiting_approval"}
    assert approve_posts(office, office.settings, ["bai-1"], "quản trị").approved[0].key == "bai-1"


def test_queueing_needs_a_known_user_and_writes_nothing_otherwise(office: Store) -> None:
    with pytest.raises(UserError, match="không phải người dùng"):
        queue_posts(office, office.settings, [spec()], "ai đó")
    with pytest.raises(UserError, match="PUBLISHER_USER"):  # no --by: PUBLISHER_USER ("can-bo") is no user
        queue_posts(office, office.settings, [spec()], None)
    assert office.deliveries() == []
    office.settings.user = "phạm  d"
    queue_posts(office, office.settings, [spec()], None)
    assert office.post_detail("bai-1")["post"].queued_by == "Phạm D"


def test_self_approval_is_an_office_policy_set_by_an_admin(office: Store) -> None:
    queue_posts(office, office.settings, [spec()], A)
    office.settings.allow_self_approval = True  # a per-process variable no longer decides anything
    with pytest.raises(ApprovalRefused, match="không thể tự duyệt"):
        approve_posts(office, office.settings, ["bai-1"], A)
    with pytest.raises(UserError, match="cần vai trò"):
        set_policy(office, office.settings, "allow-self-approval", "true", by=A)
    with pytest.raises(UserError):
        set_policy(office, office.settings, "allow-self-approval", "maybe", by="Quản trị")
    set_policy(office, office.settings, "allow-self-approval", "true", by="quản trị")
    policy = {p.policy.name: p for p in policies(office)}["allow-self-approval"]
    assert (policy.value, policy.set_by) == (True, "Quản trị")
    approve_posts(office, office.settings, ["bai-1"], A)
    assert states(office) == {"scheduled"}
    with office.db.read() as conn:
        trail = conn.execute(
            select(s.audit.c.actor, s.audit.c.detail).where(s.audit.c.action == "policy_set")
        ).all()
    assert [(t.actor, t.detail["value"], t.detail["old_value"]) for t in trail] == [("Quản trị", True, False)]


def test_first_admin_fixes_the_initial_policy_from_the_setting(store: Store) -> None:
    store.settings.allow_self_approval = True
    added = add_user(store, store.settings, "Một Mình")  # no admin yet: no --by, becomes admin
    assert added.bootstrap and added.user.role == "admin"
    assert added.policy is not None and added.policy.value is True
    store.settings.allow_self_approval = False  # read once: changing it later changes nothing
    add_user(store, store.settings, "Người Hai", by="một mình")
    assert {p.policy.name: p.value for p in policies(store)}["allow-self-approval"] is True
    with pytest.raises(UserError, match="cần vai trò"):
        add_user(store, store.settings, "Người Ba", by="Người Hai")  # an officer manages nobody


def test_users_are_disabled_not_deleted_and_the_last_admin_stays(office: Store) -> None:
    queue_posts(office, office.settings, [spec()], "Phạm D")
    user, changed = remove_user(office, office.settings, "PHẠM D", by="Quản trị")
    assert changed and not remove_user(office, office.settings, "Phạm D", by="Quản trị")[1]
    with office.db.read() as conn:
        row = conn.execute(select(s.users).where(s.users.c.name_key == name_key("Phạm D"))).one()
    assert row.disabled_at is not None and office.post_detail("bai-1")["post"].queued_by == "Phạm D"
    with pytest.raises(UserError, match="quản trị cuối cùng"):
        remove_user(office, office.settings, "Quản trị", by="Quản trị")
    with pytest.raises(UserError, match="quản trị cuối cùng"):
        add_user(office, office.settings, "Quản trị", role="officer", by="Quản trị")
    again = add_user(office, office.settings, "phạm d", by="Quản trị")  # enabled again, role kept
    assert (again.outcome, again.user.role, again.user.enabled) == ("enabled", "officer", True)


# -- approving the files as they are on disk (issue 11.3) -------------------------------------------


def photo(path: Path, colour: tuple[int, int, int]) -> Path:
    Image.new("RGB", (320, 240), colour).save(path, quality=90)
    return path


def publish_due(store: Store) -> str:
    [did] = claim_due(store.db, datetime.now(UTC), "dispatch:test", 300)
    return str(Publisher(store).publish(did).action)


def test_reapproving_after_a_photo_changed_approves_the_new_bytes(office: Store, tmp_path: Path) -> None:
    image = photo(tmp_path / "anh.jpg", (20, 120, 20))
    due = datetime.now(UTC) - timedelta(seconds=1)
    queue_posts(office, office.settings, [spec(images=(image,), due_at=due)], A)
    first = approve_posts(office, office.settings, ["bai-1"], "Lê C").approved[0]
    assert first.first and first.changes == ()
    photo(image, (200, 0, 0))  # somebody replaced the photo after the approval
    assert publish_due(office) == "awaiting_approval"  # the check before sending saw it
    again = approve_posts(office, office.settings, ["bai-1"], "Lê C").approved[0]
    assert again.rehashed and again.previous_by == "Lê C"
    assert again.changes == (Change("file", "changed", str(image), str(image)),)
    assert states(office) == {"scheduled"}
    assert publish_due(office) == "published"  # no loop back to awaiting approval
    post = office.post_detail("bai-1")["post"]
    assert post.approved_hash == post.content_hash
    trail = [a for a in office.post_detail("bai-1")["audit"] if a.action == "approved"]
    assert trail[-1].detail["changed_files"] == [str(image)]


def test_a_photo_changed_while_still_scheduled_can_be_reapproved_before_the_check(
    office: Store, tmp_path: Path
) -> None:
    image = photo(tmp_path / "anh.jpg", (20, 120, 20))
    queue_posts(office, office.settings, [spec(images=(image,))], A)
    approve_posts(office, office.settings, ["bai-1"], "Lê C")
    photo(image, (0, 0, 200))
    result = approve_posts(office, office.settings, ["bai-1"], "Lê C")  # was "nothing awaits approval"
    assert [(a.key, a.rehashed) for a in result.approved] == [("bai-1", True)]
    assert approve_posts(office, office.settings, ["bai-1"], "Lê C").skipped  # now nothing to approve


def test_approval_shows_the_text_diff_since_the_last_approval(office: Store) -> None:
    queue_posts(office, office.settings, [spec(text="Dòng một.\nDòng hai.")], A)
    approve_posts(office, office.settings, ["bai-1"], "Lê C")
    queue_posts(office, office.settings, [spec(text="Dòng một.\nDòng hai đã sửa.", title="Thông báo mới")], A)
    item = approve_posts(office, office.settings, ["bai-1"], "Trần B").approved[0]
    by_field = {c.field: c for c in item.changes}
    assert by_field["title"].after == "Thông báo mới"
    assert "-Dòng hai." in by_field["text"].lines and "+Dòng hai đã sửa." in by_field["text"].lines
    assert not item.rehashed  # the files did not change: the queued hash is the one approved


def test_a_missing_file_is_never_approved(office: Store, tmp_path: Path) -> None:
    image = photo(tmp_path / "anh.jpg", (20, 120, 20))
    queue_posts(office, office.settings, [spec(images=(image,))], A)
    image.unlink()
    with pytest.raises(ApprovalRefused) as info:
        approve_posts(office, office.settings, ["bai-1"], "Lê C")
    assert "anh.jpg" in " ".join(str(p) for p in info.value.details["problems"])
    assert states(office) == {"awaiting_approval"}


# -- review of issue 11: tone-placement spellings, and drafts that `retry` or a worker would send ----


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Nguyễn Thị Hoà", "Nguyễn Thị Hòa"),
        ("Lê Thuý", "Lê Thúy"),
        ("Trần Văn Khoẻ", "Trần Văn Khỏe"),
        ("Đỗ Thuỷ", "Đỗ Thủy"),
        ("Vũ Hoạ", "Vũ Họa"),
        ("Phan Xoè", "Phan Xòe"),
        ("Mai Huỳ", "Mai Hùy"),
    ],
)
def test_tone_placement_spellings_are_one_person(office: Store, old: str, new: str) -> None:
    assert name_key(old) == name_key(new) == name_key(unicodedata.normalize("NFD", new).upper())
    add_user(office, office.settings, old, role="approver", by="Quản trị")
    again = add_user(office, office.settings, new, role="approver", by="Quản trị")
    assert again.outcome == "unchanged" and again.user.name == old
    queue_posts(office, office.settings, [spec()], old)
    with pytest.raises(ApprovalRefused, match="không thể tự duyệt"):
        approve_posts(office, office.settings, ["bai-1"], new)
    queue_posts(office, office.settings, [spec(text="Sửa lại.")], new)  # an edit by the same person
    with pytest.raises(ApprovalRefused, match="không thể tự duyệt"):
        approve_posts(office, office.settings, ["bai-1"], old)
    assert states(office) == {"awaiting_approval"}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Quý", "Qúy"),  # qu + ý: the same either way
        ("Thuở", "Thủơ"),  # ươ is no oa/oe/uy: left alone
        ("Thủy", "Thuỷ"),
        ("Hoàng", "Hòang"),
    ],
)
def test_tone_folding_touches_only_oa_oe_uy(a: str, b: str) -> None:
    same = {("Quý", "Qúy"), ("Thủy", "Thuỷ"), ("Hoàng", "Hòang")}
    assert (name_key(a) == name_key(b)) is ((a, b) in same)
    assert name_key("Thuở") == "thuở" and name_key("Nguyễn") == "nguyễn" and name_key("Người") == "người"
    assert name_key("Khuỷu") == name_key("Khủyu") == "khuỷu"


def test_retry_refuses_a_draft_post_and_the_worker_never_sends_one(office: Store) -> None:
    due = datetime.now(UTC) - timedelta(seconds=5)
    queue_posts(office, office.settings, [spec(due_at=due)], A)
    approve_posts(office, office.settings, ["bai-1"], "Lê C")
    with office.db.write() as conn:  # it failed at the platform
        conn.execute(s.deliveries.update().values(state="failed", last_code="x"))
    queue_posts(office, office.settings, [spec(due_at=due, draft=True)], A)  # then became a draft
    with pytest.raises(UserError, match="bản nháp"):
        office.retry(["bai-1"], "Lê C")
    assert states(office) == {"failed"}
    # a delivery of a draft post that is due anyway (set so behind our back) is held by the worker
    with office.db.write() as conn:
        conn.execute(s.deliveries.update().values(state="scheduled"))
    assert publish_due(office) == "draft"
    assert states(office) == {"draft"}
