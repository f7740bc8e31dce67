from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from publisher.core.models import Delivery, Platform, Target
from publisher.core.states import State
from publisher.platforms.base import Credentials, Outcome
from publisher.platforms.sandbox import SandboxAdapter
from publisher.settings import Settings


def delivery(tmp_path: Path, images: tuple[Path, ...] = ()) -> Delivery:
    return Delivery(
        id=7,
        post_id=1,
        post_key="giai-phong-51-nam",
        target=Target(Platform.SANDBOX, "demo"),
        state=State.PUBLISHING,
        due_at=datetime(2026, 4, 30, 0, 0, tzinfo=UTC),
        title="Kỷ niệm 51 năm <Ngày giải phóng>",
        text="Dòng một.\n\nĐoạn hai & ba.",
        images=images,
        video=None,
        link=None,
        content_hash="abc",
    )


def test_sandbox_writes_an_openable_page_once(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "var")  # type: ignore[call-arg]
    img = tmp_path / "anh.jpg"
    img.write_bytes(b"\xff\xd8jpeg")
    adapter = SandboxAdapter(Credentials(), settings, account="demo")
    d = delivery(tmp_path, (img,))
    assert adapter.reconcile(d).outcome == Outcome.ABSENT
    first = adapter.publish(d)
    assert first.outcome == Outcome.PUBLISHED and first.url and first.url.startswith("file://")
    page = settings.outbox_dir / "demo" / "2026-04-30_giai-phong-51-nam_7.html"
    html = page.read_text(encoding="utf-8")
    assert "Kỷ niệm 51 năm &lt;Ngày giải phóng&gt;" in html and "Đoạn hai &amp; ba." in html
    assert "2026-04-30_giai-phong-51-nam_7/anh.jpg" in html
    record = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
    assert record["post"] == "giai-phong-51-nam"
    mtime = page.stat().st_mtime_ns
    again = adapter.publish(d)  # a second attempt finds the first one and writes nothing
    assert again.remote_id == first.remote_id and page.stat().st_mtime_ns == mtime
    assert adapter.reconcile(d).outcome == Outcome.PUBLISHED
    assert len(list((settings.outbox_dir / "demo").glob("*.html"))) == 1


def test_missing_media_is_a_clear_rejection(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "var")  # type: ignore[call-arg]
    result = SandboxAdapter(Credentials(), settings).publish(delivery(tmp_path, (tmp_path / "khong-co.jpg",)))
    assert result.outcome == Outcome.REJECTED and "khong-co.jpg" in str(result.reason)
