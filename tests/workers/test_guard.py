"""The last look before sending: approval still valid, review clean, media prepared."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image

from publisher.actions.media import prepare_delivery
from publisher.actions.publish import Publisher
from publisher.core.models import Platform, PostSpec, Target
from publisher.core.states import State
from publisher.platforms.base import Credentials, Result
from publisher.platforms.fake import FakeAdapter
from publisher.store import Store
from publisher.store.claims import claim_due

PAGE = Target(Platform.FACEBOOK, "ubnd-xa")


def setup(store: Store, tmp_path: Path, text: str = "Thông báo lịch tiêm chủng") -> tuple[int, Path]:
    store.add_account(PAGE, "can-bo", credentials=Credentials(access_token="T", remote_account_id="page-1"))
    image = tmp_path / "anh.jpg"
    Image.new("RGB", (640, 480), (30, 120, 30)).save(image, quality=90)
    spec = PostSpec(
        key="bai",
        title="Thông báo",
        text=text,
        due_at=datetime.now(UTC) - timedelta(seconds=1),
        timezone="Asia/Ho_Chi_Minh",
        targets=(PAGE,),
        images=(image,),
    )
    store.queue([spec], "can-bo")
    store.approve(["bai"], by="truong-ban")
    return int(store.deliveries()[0].id), image


def run(store: Store, fake: FakeAdapter) -> str:
    assert claim_due(store.db, datetime.now(UTC), "dispatch:t", 300)
    step = Publisher(store, adapters=lambda settings, target, creds: fake, rng=lambda: 1.0).publish(
        int(store.deliveries()[0].id)
    )
    return str(step.action)


def test_media_not_ready_waits_without_sending(store: Store, tmp_path: Path) -> None:
    did, _ = setup(store, tmp_path)
    fake = FakeAdapter(publish=[Result.published("p-1")])
    assert run(store, fake) == "retry_wait"
    assert fake.calls == []
    r = store.deliveries()[0]
    assert (r.state, r.last_code, r.attempts) == ("retry_wait", "media_pending", 0)
    assert prepare_delivery(store, did, store.settings).ok
    store.retry([f"#{did}"], "can-bo")
    assert run(store, fake) == "published"
    assert store.deliveries()[0].state == "published"


def test_a_photo_replaced_after_approval_is_not_sent(store: Store, tmp_path: Path) -> None:
    did, image = setup(store, tmp_path)
    assert prepare_delivery(store, did, store.settings).ok
    Image.new("RGB", (640, 480), (200, 0, 0)).save(image, quality=90)  # someone swapped the file
    fake = FakeAdapter(publish=[Result.published("p-1")])
    assert run(store, fake) == State.AWAITING_APPROVAL.value
    assert fake.calls == []
    r = store.deliveries()[0]
    assert (r.state, r.last_code) == ("awaiting_approval", "approval")
    assert "duyệt lại" in (r.last_reason or "")


def test_a_word_forbidden_after_approval_holds_the_post(store: Store, tmp_path: Path) -> None:
    did, _ = setup(store, tmp_path, text="Nội dung có chữ cấm-mới.")
    assert prepare_delivery(store, did, store.settings).ok
    store.settings.forbidden_words = ["cấm-mới"]
    assert run(store, FakeAdapter(publish=[Result.published("p-1")])) == State.AWAITING_APPROVAL.value
    r = store.deliveries()[0]
    assert r.last_code == "review" and "cấm-mới" in (r.last_reason or "")


def test_media_that_cannot_be_prepared_fails_the_delivery(store: Store, tmp_path: Path) -> None:
    did, image = setup(store, tmp_path)
    store.record_media(did, None, "failed", "anh.jpg → facebook-photo: tệp hỏng")
    assert run(store, FakeAdapter(publish=[Result.published("p-1")])) == State.FAILED.value
    r = store.deliveries()[0]
    assert (r.state, r.last_code, r.last_reason) == ("failed", "media", "anh.jpg → facebook-photo: tệp hỏng")
