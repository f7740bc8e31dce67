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
        key=key, title="Kỷ niệm 51 năm Ngày giải phóng miền Nam", text="Nội dung", due_at=due or LATER,
        timezone="Asia/Ho_Chi_Minh", targets=(FB, ZL), source_file="/lich/2026.yaml", source_line=5,
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
    assert states(st) == {"facebook/ubnd-hanh-dich": "awaiting_approval", "zalo/ubnd-hanh-dich": "awaiting_approval"}


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


def test_approval_rules(st: Store) -> None:
    st.queue([spec()], "can-bo")
    with pytest.raises(ApprovalRefused, match="không thể tự duyệt"):
        st.approve(["bai-1"], by="can-bo")
    with pytest.raises(ApprovalRefused):
        st.approve(["bai-1"], by="  ")
    assert set(states(st).values()) == {"awaiting_approval"}
    st.approve(["bai-1"], by="chu-tich")
    post = st.post_detail("bai-1")["post"]
    assert post.approved_by == "chu-tich" and post.approved_hash == post.content_hash
    assert set(states(st).values()) == {"scheduled"}


def test_self_approval_allowed_by_setting(st: Store) -> None:
    st.settings.allow_self_approval = True
    st.queue([spec()], "can-bo")
    st.approve(["bai-1"], by="can-bo")
    assert set(states(st).values()) == {"scheduled"}


def test_drafts_cannot_be_approved_and_no_approval_setting(st: Store) -> None:
    st.queue([spec("nhap", draft=True)], "can-bo")
    assert set(states(st, "nhap").values()) == {"draft"}
    with pytest.raises(ApprovalRefused, match="bản nháp"):
        st.approve(["nhap"], by="chu-tich")
    st.settings.require_approval = False
    st.queue([spec("tu-dong")], "can-bo")
    assert set(states(st, "tu-dong").values()) == {"scheduled"}


def test_late_policy_grace_window(st: Store) -> None:
    t0 = now()
    st.queue([spec("som", due=t0 + timedelta(hours=1)), spec("ngan", due=t0 + timedelta(hours=1), grace_hours=0.5)],
             "can-bo")
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


def test_credentials_are_encrypted_everywhere(st: Store, caplog: pytest.LogCaptureFixture, db_kind: str) -> None:
    secret = "EAAG-very-secret-page-token-1234567890"
    refresh = "zalo-refresh-abcdefghijklmnop"
    caplog.set_level(logging.DEBUG)
    acct = st.account(FB)
    st.save_credentials(acct.id, Credentials(access_token=secret, refresh_token=refresh, remote_account_id="1234"))
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
    other = Store(st.settings.model_copy(update={"secret_key": __import__("pydantic").SecretStr(
        "x" * 43 + "=")}), st.db)
    with pytest.raises(ConfigError) as info:
        other.credentials(acct.id)
    assert secret not in str(info.value)


def test_account_lock_serialises(st: Store) -> None:
    acct = st.account(FB)
    with st.account_lock(acct.id) as a:
        a.save(Credentials(access_token="t1", refresh_token="r1"))
    with st.account_lock(acct.id) as a:
        assert a.credentials.refresh_token == "r1"


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


def test_spec_replace_keeps_key() -> None:
    assert replace(spec(), text="x").key == "bai-1"


def test_sqlite_default_is_a_wal_file_in_the_data_dir(settings: Any) -> None:
    store = Store(settings)
    store.init()
    assert (settings.data_dir / "publisher.sqlite").exists()
    with store.db.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


@pytest.mark.parametrize("start", ["failed", "missed", "needs_reauth", "retry_wait"])
def test_editing_a_post_whose_delivery_did_not_go_out_sends_it_back_for_approval(st: Store, start: str) -> None:
    st.queue([spec()], "can-bo")
    st.approve(["bai-1"], by="chu-tich")
    fb = next(r for r in st.deliveries() if r.platform == "facebook")
    with st.db.write() as conn:
        conn.execute(update(s.deliveries).where(s.deliveries.c.id == fb.id).values(state=start))
    report = st.queue([spec(text="Sửa lại nội dung")], "can-bo")
    assert report.updated == ["bai-1"] and report.not_changed == []
    assert set(states(st).values()) == {"awaiting_approval"}
