"""Store behaviour on SQLite and on PostgreSQL (every test runs on both)."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from publisher.core.models import Platform, PostSpec, Target
from publisher.core.states import State
from publisher.errors import ApprovalRefused, ConfigError, IllegalTransition
from publisher.platforms.base import Credentials
from publisher.store import Store
from publisher.store import schema as s
from publisher.store.claims import claim_due, mark_missed

FB = Target(Platform.FACEBOOK, "ubnd-hanh-dich")
ZL = Target(Platform.ZALO, "ubnd-hanh-dich")


def now() -> datetime:
    return datetime.now(UTC)


LATER = now().replace(microsecond=0) + timedelta(days=3)


def spec(key: str = "bai-1", due: datetime | None = None, **kw: Any) -> PostSpec:
    values: dict[str, Any] = dict(
        key=key,
        title="Kỷ niệm 51 năm Ngày giải phóng miền Nam",
        text="Nội dung",
        due_at=due or LATER,
        timezone="Asia/Ho_Chi_Minh",
        targets=(FB, ZL),
        source_file="/lich/2026.yaml",
        source_line=5,
    )
    values.update(kw)
    return PostSpec(**values)


@pytest.fixture
def st(store: Store) -> Store:
    store.add_account(FB, "can-bo")
    store.add_account(ZL, "can-bo")
    return store


def states(store: Store, key: str = "bai-1") -> dict[str, str]:
    return {f"{r.platform}/{r.name}": r.state for r in store.deliveries() if r.key == key}


def test_queue_is_idempotent(st: Store) -> None:
    r1 = st.queue([spec()], "can-bo", ["/lich/2026.yaml"])
    assert r1.created == ["bai-1"]
    before = [tuple(r) for r in st.deliveries()]
    r2 = st.queue([spec()], "can-bo", ["/lich/2026.yaml"])
    assert r2.created == [] and r2.updated == [] and r2.unchanged == ["bai-1"]
    assert [tuple(r) for r in st.deliveries()] == before
    assert states(st) == {
        "facebook/ubnd-hanh-dich": "awaiting_approval",
        "zalo/ubnd-hanh-dich": "awaiting_approval",
    }


def test_edit_updates_unstarted_deliveries_and_reports_the_others(st: Store) -> None:
    st.queue([spec()], "can-bo")
    st.approve(["bai-1"], by="chu-tich")
    fb = next(r for r in st.deliveries() if r.platform == "facebook")
    assert st.move(fb.id, State.SCHEDULED, State.CLAIMED)
    assert st.move(fb.id, State.CLAIMED, State.PUBLISHING)
    assert st.move(fb.id, State.PUBLISHING, State.PUBLISHED)
    report = st.queue([spec(text="Nội dung đã sửa")], "can-bo")
    assert report.updated == ["bai-1"]
    assert report.approval_voided == ["bai-1"]
    assert report.not_changed == [("bai-1", "facebook/ubnd-hanh-dich", "published")]
    assert states(st) == {"facebook/ubnd-hanh-dich": "published", "zalo/ubnd-hanh-dich": "awaiting_approval"}
    trail = [a.action for a in st.post_detail("bai-1")["audit"]]
    assert trail[:3] == ["queued", "approved", "state_claimed"] and "edited" in trail


def test_removed_post_is_reported_not_deleted(st: Store) -> None:
    st.queue([spec("bai-1"), spec("bai-2")], "can-bo", ["/lich/2026.yaml"])
    report = st.queue([spec("bai-1")], "can-bo", ["/lich/2026.yaml"])
    assert report.removed_from_file == [("bai-2", "/lich/2026.yaml")]
    assert set(states(st, "bai-2").values()) == {"awaiting_approval"}
    st.cancel(["bai-2"], "can-bo")
    assert set(states(st, "bai-2").values()) == {"cancelled"}
    assert st.queue([spec("bai-1")], "can-bo", ["/lich/2026.yaml"]).removed_from_file == []


def people(store: Store, **roles: str) -> None:
    """An admin "quan-tri" and the named users (``can_bo="approver"`` names "can-bo")."""
    from publisher.actions.users import add_user

    add_user(store, store.settings, "quan-tri", role="admin")
    for name, role in roles.items():
        add_user(store, store.settings, name.replace("_", "-"), role=role, by="quan-tri")


def test_approval_rules(st: Store) -> None:
    from publisher.actions.approve import approve_posts
    from publisher.actions.queue import queue_posts

    people(st, can_bo="approver", chu_tich="approver")
    queue_posts(st, st.settings, [spec()], "can-bo")
    with pytest.raises(ApprovalRefused, match="không thể tự duyệt"):
        approve_posts(st, st.settings, ["bai-1"], by="can-bo")
    with pytest.raises(ApprovalRefused):
        approve_posts(st, st.settings, ["bai-1"], by="  ")
    assert set(states(st).values()) == {"awaiting_approval"}
    approve_posts(st, st.settings, ["bai-1"], by="chu-tich")
    post = st.post_detail("bai-1")["post"]
    assert post.approved_by == "chu-tich" and post.approved_hash == post.content_hash
    assert set(states(st).values()) == {"scheduled"}


def test_self_approval_allowed_by_office_policy(st: Store) -> None:
    from publisher.actions.approve import approve_posts
    from publisher.actions.queue import queue_posts
    from publisher.actions.users import set_policy

    people(st, can_bo="approver")
    set_policy(st, st.settings, "allow-self-approval", "true", by="quan-tri")
    queue_posts(st, st.settings, [spec()], "can-bo")
    approve_posts(st, st.settings, ["bai-1"], by="can-bo")
    assert set(states(st).values()) == {"scheduled"}


def test_drafts_cannot_be_approved_and_no_approval_setting(st: Store) -> None:
    st.queue([spec("nhap", draft=True)], "can-bo")
    assert set(states(st, "nhap").values()) == {"draft"}
    with pytest.raises(ApprovalRefused, match="bản nháp"):
        st.approve(["nhap"], by="chu-tich")
    from publisher.actions.users import set_policy

    st.settings.require_approval = False  # a process's setting decides nothing: the office policy does
    st.queue([spec("tu-dong")], "can-bo")
    assert set(states(st, "tu-dong").values()) == {"awaiting_approval"}
    people(st)
    set_policy(st, st.settings, "require-approval", "false", by="quan-tri")
    st.queue([spec("tu-dong-2")], "can-bo")
    assert set(states(st, "tu-dong-2").values()) == {"scheduled"}


def test_late_policy_grace_window(st: Store) -> None:
    t0 = now()
    st.queue(
        [
            spec("som", due=t0 + timedelta(hours=1)),
            spec("ngan", due=t0 + timedelta(hours=1), grace_hours=0.5),
        ],
        "can-bo",
    )
    st.approve(["som", "ngan"], by="chu-tich")
    # the server was down: it is now 4 hours after the due time
    later = t0 + timedelta(hours=5)
    assert len(mark_missed(st.db, later)) == 2  # "ngan" (30 min grace) is missed on both targets
    assert set(states(st, "ngan").values()) == {"missed"}
    claimed = claim_due(st.db, later, "w1", 60)
    assert len(claimed) == 2 and set(states(st, "som").values()) == {"claimed"}  # 6 h grace: published late


def test_pause_holds_pending_and_resume_lists_what_is_late(st: Store) -> None:
    t0 = now()
    st.queue([spec("a", due=t0 + timedelta(minutes=30)), spec("b", due=t0 + timedelta(days=2))], "can-bo")
    st.approve(["a", "b"], by="chu-tich")
    fb_a = next(r for r in st.deliveries() if r.key == "a" and r.platform == "facebook")
    st.move(fb_a.id, State.SCHEDULED, State.CLAIMED)
    st.move(fb_a.id, State.CLAIMED, State.PUBLISHING)  # in flight: not touched by the pause
    held = st.pause("Quốc tang", "chu-tich")
    assert held == 3
    assert claim_due(st.db, t0 + timedelta(days=3), "w", 60) == []
    st.queue([spec("c", due=t0 + timedelta(days=1))], "can-bo")
    assert set(states(st, "c").values()) == {"paused"}
    assert states(st, "a")["facebook/ubnd-hanh-dich"] == "publishing"
    report = st.resume("chu-tich", now=t0 + timedelta(hours=2))
    assert report.pause and report.pause["reason"] == "Quốc tang"
    assert len(report.held) == 5
    assert [(h["post"], h["target"]) for h in report.late] == [("a", "zalo/ubnd-hanh-dich")]
    assert set(states(st, "b").values()) == {"scheduled"}
    assert set(states(st, "c").values()) == {"awaiting_approval"}


def test_database_refuses_unknown_states(st: Store) -> None:
    st.queue([spec()], "can-bo")
    with pytest.raises(IntegrityError), st.db.write() as conn:
        conn.execute(update(s.deliveries).values(state="teleported"))
    with pytest.raises(IllegalTransition):
        st.move(st.deliveries()[0].id, State.AWAITING_APPROVAL, State.PUBLISHED)


def test_retry_and_cancel(st: Store) -> None:
    st.queue([spec()], "can-bo")
    st.approve(["bai-1"], by="chu-tich")
    fb = next(r for r in st.deliveries() if r.platform == "facebook")
    st.move(fb.id, State.SCHEDULED, State.CLAIMED)
    st.move(fb.id, State.CLAIMED, State.PUBLISHING)
    st.move(fb.id, State.PUBLISHING, State.FAILED, last_code="100", last_reason="Lỗi")
    report = st.retry([f"bai-1:{FB}"], "can-bo")
    assert report.done == [(f"bai-1:{FB}", "scheduled")]
    cancel = st.cancel(["bai-1"], "can-bo")
    assert len(cancel.done) == 2


def test_credentials_are_encrypted_everywhere(
    st: Store, caplog: pytest.LogCaptureFixture, db_kind: str
) -> None:
    secret = "EAAG-very-secret-page-token-1234567890"
    refresh = "zalo-refresh-abcdefghijklmnop"
    caplog.set_level(logging.DEBUG)
    acct = st.account(FB)
    st.save_credentials(
        acct.id, Credentials(access_token=secret, refresh_token=refresh, remote_account_id="1234")
    )
    assert st.credentials(acct.id).access_token == secret
    with st.db.read() as conn:
        dump = "\n".join(str(tuple(r)) for tbl in s.metadata.sorted_tables for r in conn.execute(select(tbl)))
    assert secret not in dump and refresh not in dump
    if db_kind == "sqlite":
        for f in st.settings.data_dir.glob("publisher.sqlite*"):
            raw = f.read_bytes()
            assert secret.encode() not in raw and refresh.encode() not in raw
    assert secret not in repr(st.credentials(acct.id)) and secret not in caplog.text
    # a wrong key gives a clear error that does not show the token either
    other = Store(
        st.settings.model_copy(update={"secret_key": __import__("pydantic").SecretStr("x" * 43 + "=")}), st.db
    )
    with pytest.raises(ConfigError) as info:
        other.credentials(acct.id)
    assert secret not in str(info.value)


def test_account_lock_serialises_two_threads(st: Store) -> None:
    """Two threads read-modify-write the credentials under the lock: no update is lost and the
    holders never overlap (a lock that does nothing loses updates and lets both in at once)."""
    import threading
    import time

    acct = st.account(FB)
    st.save_credentials(acct.id, Credentials(access_token="t0", refresh_token="r", extra={"n": 0}))
    inside, most, guard = [0], [0], threading.Lock()
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def bump() -> None:
        try:
            start.wait(10)
            for _ in range(8):
                with st.account_lock(acct.id) as a:
                    with guard:
                        inside[0] += 1
                        most[0] = max(most[0], inside[0])
                    n = int(a.credentials.extra["n"])
                    time.sleep(0.02)  # the other thread tries meanwhile
                    a.save(Credentials(access_token=f"t{n + 1}", refresh_token="r", extra={"n": n + 1}))
                    with guard:
                        inside[0] -= 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert most[0] == 1
    saved = st.credentials(acct.id)
    assert (saved.extra["n"], saved.access_token) == (16, "t16")


def test_media_change_voids_approval(st: Store, tmp_path: Path) -> None:
    img = tmp_path / "anh.jpg"
    img.write_bytes(b"one")
    st.queue([spec(images=(img,))], "can-bo")
    st.approve(["bai-1"], by="chu-tich")
    img.write_bytes(b"two: the photo file was replaced")
    report = st.queue([spec(images=(img,))], "can-bo")
    assert report.approval_voided == ["bai-1"]
    assert set(states(st).values()) == {"awaiting_approval"}


def test_times_stored_in_utc(st: Store) -> None:
    due = datetime(2026, 4, 30, 0, 0, tzinfo=UTC)
    st.queue([spec(due=due)], "can-bo")
    with st.db.read() as conn:
        raw = conn.execute(text("SELECT due_at FROM posts")).scalar()
    assert str(raw).startswith("2026-04-30 00:00")
    assert st.deliveries()[0].due_at == due


def test_an_edited_post_is_the_same_post_by_its_key(st: Store) -> None:
    """The post id is a post's identity: an edit queued under it updates that post and its deliveries
    in place (same rows, same trail, new content hash); another id is another post."""
    st.queue([spec()], "can-bo")
    before = st.post_detail("bai-1")
    report = st.queue([replace(spec(), text="Nội dung đã sửa")], "can-bo")
    assert (report.created, report.updated) == ([], ["bai-1"])
    after = st.post_detail("bai-1")
    assert after["post"].id == before["post"].id and after["post"].text == "Nội dung đã sửa"
    assert after["post"].content_hash != before["post"].content_hash
    assert sorted(r.id for r in after["deliveries"]) == sorted(r.id for r in before["deliveries"])
    assert [a.id for a in after["audit"]][: len(before["audit"])] == [a.id for a in before["audit"]]
    assert len(st.deliveries()) == 2
    assert st.queue([replace(spec(), key="bai-2")], "can-bo").created == ["bai-2"]
    assert len(st.deliveries()) == 4


def test_sqlite_default_is_a_wal_file_in_the_data_dir(settings: Any) -> None:
    store = Store(settings)
    store.init()
    assert (settings.data_dir / "publisher.sqlite").exists()
    with store.db.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


@pytest.mark.parametrize("start", ["failed", "missed", "needs_reauth", "retry_wait"])
def test_editing_a_post_whose_delivery_did_not_go_out_sends_it_back_for_approval(
    st: Store, start: str
) -> None:
    st.queue([spec()], "can-bo")
    st.approve(["bai-1"], by="chu-tich")
    fb = next(r for r in st.deliveries() if r.platform == "facebook")
    with st.db.write() as conn:
        conn.execute(update(s.deliveries).where(s.deliveries.c.id == fb.id).values(state=start))
    report = st.queue([spec(text="Sửa lại nội dung")], "can-bo")
    assert report.updated == ["bai-1"] and report.not_changed == []
    assert set(states(st).values()) == {"awaiting_approval"}


# -- every field counts as a change; approval follows what is published (issue 11.2) ---------------


def test_removing_draft_sends_the_post_for_approval(st: Store) -> None:
    st.queue([spec(draft=True)], "can-bo")
    assert set(states(st).values()) == {"draft"}
    report = st.queue([spec()], "can-bo")
    assert report.updated == ["bai-1"] and report.unchanged == [] and report.changes == {"bai-1": ["draft"]}
    assert set(states(st).values()) == {"awaiting_approval"}


def test_a_draft_holds_back_an_approved_post_and_undrafting_keeps_the_approval(st: Store) -> None:
    st.queue([spec()], "can-bo")
    st.approve(["bai-1"], by="chu-tich")
    report = st.queue([spec(draft=True)], "can-bo")
    assert report.updated == ["bai-1"] and report.approval_voided == []
    assert set(states(st).values()) == {"draft"}
    assert claim_due(st.db, LATER + timedelta(minutes=1), "w", 60) == []  # nothing goes out at its time
    st.queue([spec()], "can-bo")
    assert set(states(st).values()) == {"scheduled"}  # the approval still covers what is published
    st.queue([spec(draft=True, text="Sửa khi là nháp")], "can-bo")
    st.queue([spec(text="Sửa khi là nháp")], "can-bo")
    assert set(states(st).values()) == {"awaiting_approval"}  # the text changed meanwhile


def test_drafting_leaves_what_went_out_alone_and_says_so(st: Store) -> None:
    st.queue([spec()], "can-bo")
    st.approve(["bai-1"], by="chu-tich")
    fb = next(r for r in st.deliveries() if r.platform == "facebook")
    for src, dst in (
        (State.SCHEDULED, State.CLAIMED),
        (State.CLAIMED, State.PUBLISHING),
        (State.PUBLISHING, State.PUBLISHED),
    ):
        assert st.move(fb.id, src, dst)
    report = st.queue([spec(draft=True)], "can-bo")
    assert report.not_changed == [("bai-1", str(FB), "published")]
    assert states(st) == {str(FB): "published", str(ZL): "draft"}


def test_undrafting_during_a_pause_is_held_by_the_pause(st: Store) -> None:
    st.queue([spec(draft=True)], "can-bo")
    st.pause("Quốc tang", "chu-tich")
    st.queue([spec()], "can-bo")
    assert set(states(st).values()) == {"paused"}
    st.resume("chu-tich")
    assert set(states(st).values()) == {"awaiting_approval"}


def test_grace_campaign_and_author_edits_are_kept(st: Store) -> None:
    st.queue([spec()], "can-bo")
    st.approve(["bai-1"], by="chu-tich")
    report = st.queue([spec(grace_hours=1.0, campaign="Tháng Tư 2026")], "can-bo")
    assert report.updated == ["bai-1"] and report.approval_voided == []
    assert report.changes == {"bai-1": ["grace", "campaign"]}
    post = st.post_detail("bai-1")["post"]
    assert (post.campaign, post.grace_seconds) == ("Tháng Tư 2026", 3600)
    assert {r.deadline for r in st.deliveries()} == {LATER + timedelta(hours=1)}
    assert set(states(st).values()) == {"scheduled"}  # neither is published: the approval holds
    report = st.queue([spec(grace_hours=1.0, campaign="Tháng Tư 2026", author="Văn phòng UBND xã")], "can-bo")
    assert report.approval_voided == ["bai-1"]  # Zalo shows the author: it must be approved again
    assert st.post_detail("bai-1")["post"].author == "Văn phòng UBND xã"
    assert set(states(st).values()) == {"awaiting_approval"}


def test_moving_a_post_within_its_file_is_not_an_edit(st: Store) -> None:
    st.queue([spec()], "can-bo")
    report = st.queue([spec(source_line=42)], "can-bo")
    assert report.unchanged == ["bai-1"] and report.updated == []
    assert st.post_detail("bai-1")["post"].source_line == 42


# -- approving the files as they are on disk (issue 11.3) -------------------------------------------


def test_reapproval_after_a_photo_changed_is_not_undone_by_the_check_before_sending(
    store: Store, tmp_path: Path
) -> None:
    from PIL import Image

    from publisher.actions.publish import Publisher

    demo = Target(Platform.SANDBOX, "demo")
    store.add_account(demo, "can-bo")
    image = tmp_path / "anh.jpg"
    Image.new("RGB", (320, 240), (20, 120, 20)).save(image, quality=90)
    store.queue([spec(targets=(demo,), images=(image,), due=now() - timedelta(seconds=1))], "can-bo")
    store.approve(["bai-1"], by="chu-tich")
    Image.new("RGB", (320, 240), (200, 0, 0)).save(image, quality=90)  # replaced after the approval

    def publish() -> str:
        [did] = claim_due(store.db, now(), "dispatch:t", 300)
        return str(Publisher(store).publish(did).action)

    assert publish() == "awaiting_approval"
    assert store.approve(["bai-1"], by="chu-tich").done == [("bai-1", str(demo))]
    assert publish() == "published"


# -- named users (issue 11.1) ----------------------------------------------------------------------


def test_migration_0005_makes_users_of_the_names_in_the_audit(
    db_kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    import unicodedata

    from alembic import command
    from alembic.config import Config
    from sqlalchemy import func

    from publisher.store.db import MIGRATIONS, Database

    url = (
        request.getfixturevalue("pg_url")
        if db_kind == "postgresql"
        else f"sqlite:///{tmp_path / 'old.sqlite'}"
    )
    db = Database(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.begin() as conn:  # a database as the version before users left it
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
    a_nfd = unicodedata.normalize("NFD", "Nguyễn Văn A")
    t0 = now()
    with db.engine.begin() as conn:
        for i, (queued_by, approved_by) in enumerate(
            [(a_nfd, "chu-tich"), ("Nguyễn Văn A", None), (" nguyễn  văn a", None)]
        ):
            conn.execute(
                s.posts.insert().values(
                    key=f"bai-{i}",
                    title="T",
                    text="X",
                    images=[],
                    options={},
                    timezone="Asia/Ho_Chi_Minh",
                    due_at=t0,
                    grace_seconds=3600,
                    draft=False,
                    content_hash="h",
                    queued_by=queued_by,
                    queued_at=t0,
                    updated_at=t0,
                    approved_by=approved_by,
                )
            )
        for actor, action in [
            ("Nguyễn Văn A", "queued"),
            ("Trần B", "approved"),
            ("system", "media_ready"),
            ("worker", "state_published"),
            ("dispatch:host", "state_claimed"),
            ("demo", "approved"),
            ("publisher", "queued"),
            ("root", "paused"),
        ]:
            conn.execute(s.audit.insert().values(at=t0, actor=actor, action=action))
    db.migrate()
    with db.read() as conn:
        users = {(u.name, u.role, u.created_by) for u in conn.execute(select(s.users))}
    assert users == {
        ("Nguyễn Văn A", "officer", "migration 0005"),
        ("chu-tich", "approver", "migration 0005"),
        ("Trần B", "approver", "migration 0005"),
        ("root", "officer", "migration 0005"),
    }
    db.migrate()  # idempotent
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(s.users)).scalar_one() == 4
    db.dispose()


def _old_database(db_kind: str, tmp_path: Path, request: pytest.FixtureRequest, revision: str) -> Any:
    from alembic import command
    from alembic.config import Config

    from publisher.store.db import MIGRATIONS, Database

    url = (
        request.getfixturevalue("pg_url")
        if db_kind == "postgresql"
        else f"sqlite:///{tmp_path / 'old.sqlite'}"
    )
    db = Database(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return db


def test_migration_0005_validates_and_folds_old_audit_names(
    db_kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A name with a zero-width space is not a second person (who might approve alone), a name of
    invisible characters names nobody, and tone-placement spellings are one user."""
    db = _old_database(db_kind, tmp_path, request, "0004")
    t0 = now()
    with db.engine.begin() as conn:
        for actor, action in [
            ("Trần B", "queued"),
            ("Trần\u200b B", "approved"),
            ("Tr\u200bần B", "approved"),
            ("\u200b\u200d", "queued"),
            ("Lê\x07 C", "queued"),
            ("Nguyễn Thị Hòa", "queued"),
            ("Nguyễn Thị Hoà", "queued"),
            ("Nguyễn Thị Hoà", "edited"),
            ("nguyễn thị hoà", "approved"),
        ]:
            conn.execute(s.audit.insert().values(at=t0, actor=actor, action=action))
    db.migrate()
    with db.read() as conn:
        users = {(u.name, u.role) for u in conn.execute(select(s.users))}
    db.dispose()
    assert users == {("Trần B", "approver"), ("Lê C", "officer"), ("Nguyễn Thị Hoà", "approver")}


def test_users_named_before_tone_folding_are_found_after_the_upgrade(
    db_kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from publisher.actions.users import require_user
    from publisher.store.users import Users

    db = _old_database(db_kind, tmp_path, request, "0005")
    t0 = now()
    with db.engine.begin() as conn:  # keys as 0005 computed them (no tone folding)
        for name, key, role in [
            ("Nguyễn Thị Hòa", "nguyễn thị hòa", "approver"),
            ("Lê Thuý", "lê thuý", "admin"),
            ("Lê Thúy", "lê thúy", "officer"),
        ]:
            conn.execute(
                s.users.insert().values(
                    name=name, name_key=key, role=role, created_at=t0, created_by="migration 0005"
                )
            )
    db.migrate()
    users = Users(db)
    assert require_user(users, "nguyễn thị hoà").name == "Nguyễn Thị Hòa"
    thuy = require_user(users, "Lê Thúy")  # two rows folded to one person: the first one stays
    assert (thuy.name, thuy.role) == ("Lê Thuý", "admin")
    assert [u.name for u in users.all()] == ["Lê Thuý", "Nguyễn Thị Hòa"]
    db.dispose()
