"""The compose and edit pages: every field's message, the live check, saving through the use case of
``publisher queue`` (approval voided by an edit, a sent-back post back with the approver), NFC, UTC,
the photo story, the calendar's "plan a post for this day", and units."""

from __future__ import annotations

import html
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from publisher.actions.queue import queue_schedules, read_schedules
from publisher.actions.reject import reject_post
from publisher.core.models import PostSpec, Target
from publisher.core.people import Role
from publisher.core.story import story_from_json
from publisher.store import Store
from publisher.store import schema as s
from publisher.web.deps import COOKIE, Viewer
from publisher.web.forms import draft_spec
from tests.assets.media_factory import photo
from tests.web.conftest import add_user, sign_in

DEMO, FB, YT, OTHER = (
    Target.parse(x)
    for x in ("sandbox/demo", "facebook/ubnd-hanh-dich", "youtube/hanh-dich-tv", "sandbox/xa-b")
)
OFFICER, OFFICER_B, APPROVER, ADMIN = "Cán Bộ An", "Cán Bộ Bé", "Trưởng Ban Bình", "Quản Trị"
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def office(web_store: Store) -> Store:
    """A commune office (unit "default") with its officer, and a second commune "xa-b", each with
    its accounts (the other people are added by the tests that need them: a password hash is slow)."""
    add_user(web_store, OFFICER, Role.OFFICER)
    for target in (DEMO, FB, YT):
        web_store.add_account(target, ADMIN)
    web_store.add_account(OTHER, ADMIN, unit="xa-b")
    return web_store


def later(days: int = 10) -> str:
    return (datetime.now(ZONE) + timedelta(days=days)).date().isoformat()


def fields(csrf: str, **kw: Any) -> dict[str, Any]:
    values: dict[str, Any] = dict(
        csrf=csrf,
        title="Lễ hội Hoa Ban xã Hạnh Dịch",
        text="Sáng 20/3, xã tổ chức lễ hội Hoa Ban.\nMời bà con tham dự.",
        targets=[str(DEMO)],
        date=later(),
        time="07:00",
    )
    values.update(kw)
    return {k: v for k, v in values.items() if v is not None}


def queued(store: Store, key: str = "bai-1", unit: str | None = None, **kw: Any) -> PostSpec:
    values: dict[str, Any] = dict(
        key=key,
        title="Thông báo lịch tiêm chủng",
        text="Tiêm chủng sáng thứ Bảy tại trạm y tế xã.",
        due_at=datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=3),
        timezone="Asia/Ho_Chi_Minh",
        targets=(DEMO,),
    )
    values.update(kw)
    spec = PostSpec(**values)
    store.queue([spec], actor=OFFICER, unit=unit)
    return spec


def states(store: Store, key: str) -> set[str]:
    return {r.state for r in store.deliveries() if r.key == key}


def trail(store: Store, key: str) -> list[tuple[str, str, dict[str, Any]]]:
    post_id = store.post_detail(key)["post"].id
    with store.db.read() as conn:
        rows = conn.execute(
            select(s.audit.c.actor, s.audit.c.action, s.audit.c.detail)
            .where(s.audit.c.post_id == post_id)
            .order_by(s.audit.c.id)
        ).all()
    return [(r.actor, r.action, r.detail or {}) for r in rows]


def error_of(page: str, name: str) -> str:
    """The text of the error list shown under the field ``name``."""
    start = page.index(f'id="e-{name}"')
    return html.unescape(page[start : page.index("</ul>", start)])


def upload(client: TestClient, csrf: str, path: Path, kind: str = "photo") -> str:
    """Sends ``path`` through the upload routes (as the widget does); returns the upload's id."""
    data = path.read_bytes()
    started = client.post(
        "/uploads", json={"name": path.name, "size": len(data), "kind": kind}, headers={"X-CSRF-Token": csrf}
    )
    assert started.status_code == 201, started.text
    upload_id = str(started.json()["id"])
    done = client.put(
        f"/uploads/{upload_id}", content=data, headers={"X-CSRF-Token": csrf, "Upload-Offset": "0"}
    )
    assert done.status_code == 200 and done.json()["done"], done.text
    return upload_id


def plain_photo(path: Path) -> Path:
    Image.new("RGB", (320, 240), (40, 90, 160)).save(path, "JPEG")
    return path


# -- the page ------------------------------------------------------------------------------------
def test_the_form_offers_the_units_accounts_only(client: TestClient, office: Store) -> None:
    sign_in(client, OFFICER)
    page = client.get("/compose")
    assert page.status_code == 200
    assert 'value="sandbox/demo"' in page.text and 'value="facebook/ubnd-hanh-dich"' in page.text
    assert "sandbox/xa-b" not in page.text
    assert 'hx-trigger="keyup changed delay:400ms, change"' in page.text
    for name in ("title", "text", "date", "time", "grace", "campaign", "draft", "story", "story_title"):
        assert f'name="{name}"' in page.text


def test_the_admin_sees_every_units_accounts_grouped(client: TestClient, office: Store) -> None:
    add_user(office, ADMIN, Role.ADMIN)
    sign_in(client, ADMIN)
    page = client.get("/compose").text
    assert "sandbox/xa-b" in page and "sandbox/demo" in page
    assert page.index("Đơn vị default") < page.index("sandbox/demo") < page.index("Đơn vị xa-b")


# -- every field's message -----------------------------------------------------------------------
def test_each_wrong_field_says_what_to_do_and_nothing_is_saved(client: TestClient, office: Store) -> None:
    csrf = sign_in(client, OFFICER)
    r = client.post("/compose", data=fields(csrf, title="  ", targets=None, date="30/4/2026", grace="sáu"))
    assert r.status_code == 400
    assert "Chưa lưu" in r.text
    assert "Hãy nhập tiêu đề" in error_of(r.text, "title")
    assert "Chọn ít nhất một nơi đăng" in error_of(r.text, "targets")
    assert "“30/4/2026” không hợp lệ" in error_of(r.text, "date")
    assert "không phải số giờ" in error_of(r.text, "grace")
    assert 'aria-invalid="true" aria-describedby="e-title"' in r.text
    assert office.deliveries() == []


def test_empty_text_and_a_time_that_is_no_time(client: TestClient, office: Store) -> None:
    csrf = sign_in(client, OFFICER)
    r = client.post("/compose", data=fields(csrf, text="", time="7 giờ"))
    assert r.status_code == 400
    assert "Hãy nhập nội dung bài" in error_of(r.text, "text")
    assert "Giờ “7 giờ” không hợp lệ" in error_of(r.text, "date")
    r = client.post("/compose", data=fields(csrf, date="2026-02-30"))  # the loader's own rule
    assert r.status_code == 400 and "2026-02-30 07:00" in error_of(r.text, "date")


def test_a_time_past_its_late_window_is_refused(client: TestClient, office: Store) -> None:
    csrf = sign_in(client, OFFICER)
    r = client.post("/compose", data=fields(csrf, date=later(-2), grace="6"))
    assert r.status_code == 400
    assert "đã qua, quá cả 6h cho phép đăng muộn" in error_of(r.text, "date")
    assert office.deliveries() == []
    # within the window: saved, with the note that it goes out late once approved
    soon = datetime.now(ZONE) - timedelta(hours=1)
    r = client.post("/compose", data=fields(csrf, date=soon.date().isoformat(), time=f"{soon:%H:%M}"))
    assert r.status_code == 303


def test_a_text_over_a_platforms_limit_is_a_block_finding_and_nothing_is_saved(
    client: TestClient, office: Store
) -> None:
    csrf = sign_in(client, OFFICER)
    r = client.post("/compose", data=fields(csrf, text="a" * 63_207))
    assert r.status_code == 400
    assert "Chưa lưu: có 1 mục CHẶN" in r.text
    beside = r.text[r.text.index('id="check-text"') :]
    assert '<li class="over">Thử nghiệm: <strong>63207</strong>/63206 ký tự' in beside[:2000]
    assert "CHẶN</span> Thử nghiệm: Nội dung dài 63207 ký tự, sandbox cho tối đa 63206" in beside[:2000]
    assert office.deliveries() == []


def test_a_citizen_id_in_the_text_blocks_the_save(client: TestClient, office: Store) -> None:
    csrf = sign_in(client, OFFICER)
    r = client.post("/compose", data=fields(csrf, text="Ông A, CCCD 001099012345, đã nhận quà."))
    assert r.status_code == 400 and "số căn cước công dân" in r.text
    assert office.deliveries() == []


# -- saving -----------------------------------------------------------------------------------------
def test_saving_queues_the_post_awaiting_approval_at_the_utc_time(client: TestClient, office: Store) -> None:
    csrf = sign_in(client, OFFICER)
    day = later(12)
    r = client.post("/compose", data=fields(csrf, date=day, time="07:30", campaign="Lễ hội 2026", grace="2"))
    assert r.status_code == 303
    assert r.headers["location"] == "/posts/le-hoi-hoa-ban-xa-hanh-dich/edit?saved=created"
    post = office.post_detail("le-hoi-hoa-ban-xa-hanh-dich")["post"]
    expected = datetime.fromisoformat(f"{day}T07:30").replace(tzinfo=ZONE).astimezone(UTC)
    assert post.due_at.replace(tzinfo=UTC) == expected and expected.hour == 0 and expected.minute == 30
    assert (post.queued_by, post.unit, post.campaign, post.grace_seconds) == (
        OFFICER,
        "default",
        "Lễ hội 2026",
        7200,
    )
    assert post.source_file is None
    assert states(office, post.key) == {"awaiting_approval"}
    assert trail(office, post.key)[0][:2] == (OFFICER, "queued")
    shown = client.get(r.headers["location"])
    assert "Đã lưu bài mới." in shown.text and "chờ duyệt</span>" in shown.text
    again = client.post("/compose", data=fields(csrf))  # the same title again: a new id
    assert again.headers["location"].startswith("/posts/le-hoi-hoa-ban-xa-hanh-dich-2/edit")


def test_vietnamese_typed_decomposed_is_saved_nfc(client: TestClient, office: Store) -> None:
    csrf = sign_in(client, OFFICER)
    title, text = (
        unicodedata.normalize("NFD", x) for x in ("Tiêm chủng mở rộng", "Người dân đến trạm y tế.")
    )
    assert title != unicodedata.normalize("NFC", title)
    r = client.post("/compose", data=fields(csrf, title=title, text=text, draft="1"))
    assert r.status_code == 303 and "/posts/tiem-chung-mo-rong/edit" in r.headers["location"]
    post = office.post_detail("tiem-chung-mo-rong")["post"]
    assert post.title == "Tiêm chủng mở rộng" and post.text == "Người dân đến trạm y tế."
    assert states(office, post.key) == {"draft"}


def test_a_chosen_id_is_used_and_a_taken_one_refused(client: TestClient, office: Store) -> None:
    queued(office, "bai-1")
    csrf = sign_in(client, OFFICER)
    r = client.post("/compose", data=fields(csrf, id="bai-1"))
    assert r.status_code == 400 and "Mã bài “bai-1” đã có" in error_of(r.text, "id")
    assert client.post("/compose", data=fields(csrf, id="hoa-ban-2026")).status_code == 303
    assert office.post_detail("hoa-ban-2026")["post"].title == "Lễ hội Hoa Ban xã Hạnh Dịch"


# -- editing ------------------------------------------------------------------------------------------
def edit_form(client: TestClient, key: str) -> dict[str, Any]:
    """The edit form's values as the page shows them."""
    page = client.get(f"/posts/{key}/edit")
    assert page.status_code == 200
    post = client.app.state.web.store.post_spec(key)  # type: ignore[attr-defined]
    local = post.due_at.astimezone(ZONE)
    assert f'value="{local:%Y-%m-%d}"' in page.text and f'value="{local:%H:%M}"' in page.text
    return {
        "csrf": page.text.split('name="csrf" value="')[1].split('"')[0],
        "title": post.title,
        "text": post.text,
        "targets": [str(x) for x in post.targets],
        "date": f"{local:%Y-%m-%d}",
        "time": f"{local:%H:%M}",
        "grace": f"{post.grace_hours:g}",
        "keep_photos": [str(i) for i in range(len(post.images))],
        "post": key,
    }


def test_saving_unchanged_changes_nothing_and_keeps_the_approval(client: TestClient, office: Store) -> None:
    queued(office)
    office.approve(["bai-1"], by=APPROVER)
    sign_in(client, OFFICER)
    r = client.post("/posts/bai-1/edit", data=edit_form(client, "bai-1"))
    assert r.status_code == 303 and r.headers["location"] == "/posts/bai-1/edit?saved=unchanged"
    assert states(office, "bai-1") == {"scheduled"}
    assert office.post_detail("bai-1")["post"].approved_by == APPROVER


def test_an_edit_voids_the_approval_as_the_cli_does(client: TestClient, office: Store) -> None:
    queued(office)
    office.approve(["bai-1"], by=APPROVER)
    assert states(office, "bai-1") == {"scheduled"}
    sign_in(client, OFFICER)
    data = edit_form(client, "bai-1") | {"text": "Tiêm chủng sáng Chủ nhật tại trạm y tế xã."}
    r = client.post("/posts/bai-1/edit", data=data)
    assert r.status_code == 303 and r.headers["location"] == "/posts/bai-1/edit?saved=updated,voided"
    post = office.post_detail("bai-1")["post"]
    assert post.approved_by is None and post.text == data["text"]
    assert states(office, "bai-1") == {"awaiting_approval"}
    actor, action, detail = trail(office, "bai-1")[-1]
    assert (actor, action, detail["approval_voided"], detail["fields"]) == (OFFICER, "edited", True, ["text"])
    assert "phải được duyệt lại" in client.get(r.headers["location"]).text


def test_a_post_sent_back_returns_to_the_approver_when_saved(client: TestClient, office: Store) -> None:
    queued(office)
    add_user(office, APPROVER, Role.APPROVER)
    reject_post(office, office.settings, "bai-1", "Sai giờ tiêm, sửa lại", by=APPROVER)
    assert states(office, "bai-1") == {"draft"}
    sign_in(client, OFFICER)
    assert "Sai giờ tiêm, sửa lại" in client.get("/posts/bai-1/edit").text
    r = client.post("/posts/bai-1/edit", data=edit_form(client, "bai-1") | {"time": "09:00"})
    assert r.status_code == 303 and "resubmitted" in r.headers["location"]
    assert states(office, "bai-1") == {"awaiting_approval"}


def test_an_edit_moves_the_time_and_changes_targets(client: TestClient, office: Store) -> None:
    queued(office)
    sign_in(client, OFFICER)
    data = edit_form(client, "bai-1") | {"targets": [str(DEMO), str(FB)], "date": later(20), "time": "18:00"}
    assert client.post("/posts/bai-1/edit", data=data).status_code == 303
    due = datetime.fromisoformat(f"{later(20)}T18:00").replace(tzinfo=ZONE).astimezone(UTC)
    assert office.post_detail("bai-1")["post"].due_at.replace(tzinfo=UTC) == due
    assert {f"{r.platform}/{r.name}" for r in office.deliveries() if r.key == "bai-1"} == {str(DEMO), str(FB)}


def test_a_post_from_a_schedule_file_keeps_its_file_and_photos_when_edited(
    client: TestClient, office: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "lich"
    (folder / "media").mkdir(parents=True)
    plain_photo(folder / "media" / "hoa-ban.jpg")
    schedule = folder / "lich.yaml"
    schedule.write_text(
        f"posts:\n  - id: hoa-ban\n    at: {later(5)} 08:00\n    title: Lễ hội Hoa Ban\n"
        "    text: Mời bà con.\n    images: [media/hoa-ban.jpg]\n    targets: [sandbox/demo]\n",
        encoding="utf-8",
    )
    settings = office.settings
    queue_schedules(office, settings, read_schedules(office, settings, [str(schedule)]), OFFICER)
    office.approve(["hoa-ban"], by=APPROVER)
    sign_in(client, OFFICER)
    page = client.get("/posts/hoa-ban/edit").text
    assert 'name="keep_photos" value="0" checked' in page and 'src="/posts/hoa-ban/media/0"' in page
    form = edit_form(client, "hoa-ban")
    r = client.post("/posts/hoa-ban/edit", data=form)
    assert r.headers["location"] == "/posts/hoa-ban/edit?saved=unchanged"
    r = client.post("/posts/hoa-ban/edit", data=form | {"text": "Mời bà con đến dự."})
    assert r.headers["location"] == "/posts/hoa-ban/edit?saved=updated,voided"
    post = office.post_detail("hoa-ban")["post"]
    assert post.source_file == str(schedule.resolve())
    assert post.images == [str((folder / "media" / "hoa-ban.jpg").resolve())]
    r = client.post("/posts/hoa-ban/edit", data=form | {"keep_photos": []})  # the photo left out
    assert r.status_code == 303 and office.post_detail("hoa-ban")["post"].images == []


# -- the live check --------------------------------------------------------------------------------
def test_the_live_check_answers_counters_and_findings(client: TestClient, office: Store) -> None:
    csrf = sign_in(client, OFFICER)
    text = "Liên hệ ông Ba, CCCD 001099012345." + "ệ" * 10
    r = client.post(
        "/compose/check",
        data={"title": "Hội thi", "text": text, "targets": [str(DEMO), str(YT)]},
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
    )
    assert r.status_code == 200
    body = html.unescape(r.text)
    assert 'id="check-summary"' in body and 'id="check-text" class="field-check" hx-swap-oob="true"' in body
    chars, utf8 = len(text), len(text.encode("utf-8"))
    assert f"Thử nghiệm: <strong>{chars}</strong>/63206 ký tự" in body
    assert f"YouTube: <strong>{utf8}</strong>/5000 byte UTF-8" in body and utf8 > chars
    assert "YouTube: <strong>7</strong>/100 ký tự" in body  # the title against YouTube's 100
    assert "số căn cước công dân" in body and "CHẶN" in body
    assert "YouTube: youtube cần có video" in body  # the YouTube account needs a clip
    assert "2 mục CHẶN phải sửa" in body


def test_the_live_check_of_another_units_account_or_post_is_404(client: TestClient, office: Store) -> None:
    queued(office, "bai-b", unit="xa-b", targets=(OTHER,))
    csrf = sign_in(client, OFFICER)
    headers = {"X-CSRF-Token": csrf, "HX-Request": "true"}
    assert client.post("/compose/check", data={"targets": [str(OTHER)]}, headers=headers).status_code == 404
    assert client.post("/compose/check", data={"post": "bai-b"}, headers=headers).status_code == 404


def test_a_photo_with_a_gps_position_is_flagged_beside_the_photos(
    client: TestClient, office: Store, tmp_path: Path
) -> None:
    csrf = sign_in(client, OFFICER)
    upload_id = upload(client, csrf, photo(tmp_path / "hoa-ban.jpg"))
    r = client.post("/compose", data=fields(csrf, photos=[upload_id]))
    assert r.status_code == 400
    beside = html.unescape(r.text[r.text.index('id="check-photos"') :][:3000])
    assert "còn lưu vị trí GPS" in beside
    assert f'name="photos" value="{upload_id}" checked' in r.text  # offered again, not lost


# -- photos and the photo story -----------------------------------------------------------------------
def test_uploaded_photos_are_moved_under_the_post(client: TestClient, office: Store, tmp_path: Path) -> None:
    csrf = sign_in(client, OFFICER)
    ids = [upload(client, csrf, plain_photo(tmp_path / f"anh-{i}.jpg")) for i in (1, 2)]
    r = client.post("/compose", data=fields(csrf, photos=ids))
    assert r.status_code == 303, r.text
    images = [Path(p) for p in office.post_detail("le-hoi-hoa-ban-xa-hanh-dich")["post"].images]
    folder = (office.settings.data_dir / "media" / "le-hoi-hoa-ban-xa-hanh-dich").resolve()
    assert [p.parent for p in images] == [folder, folder] and all(p.is_file() for p in images)
    assert [p.name for p in images] == ["anh-1.jpg", "anh-2.jpg"]


def test_the_story_box_saves_a_story_block_with_the_photos_in_order(
    client: TestClient, office: Store, tmp_path: Path
) -> None:
    csrf = sign_in(client, OFFICER)
    ids = [upload(client, csrf, plain_photo(tmp_path / f"anh-{i}.jpg")) for i in (2, 1)]
    data = fields(
        csrf, photos=ids, story="1", story_title="Lễ hội Hoa Ban 2026", targets=[str(DEMO), str(YT)]
    )
    r = client.post("/compose", data=data)
    assert r.status_code == 303, r.text
    key = "le-hoi-hoa-ban-xa-hanh-dich"
    spec = office.post_spec(key)
    story = spec.story
    assert story is not None and spec.images == ()
    assert [p.file.name for p in story.photos] == ["anh-2.jpg", "anh-1.jpg"]
    assert story.title == "Lễ hội Hoa Ban 2026" and story.seconds == 3.5
    assert spec.video is not None and spec.video.name == f"{key}.story"
    assert story.date == datetime.fromisoformat(later()).date()
    # captions on the edit page; saved with the story, the photos kept in their order
    page = client.get(f"/posts/{key}/edit").text
    assert 'name="story_caption_0"' in page and 'name="story_caption_1"' in page
    data = edit_form(client, key) | {
        "keep_photos": ["0", "1"],
        "story": "1",
        "story_title": "Lễ hội Hoa Ban 2026",
    }
    same = client.post(f"/posts/{key}/edit", data=data)
    assert same.headers["location"] == f"/posts/{key}/edit?saved=unchanged"
    r = client.post(f"/posts/{key}/edit", data=data | {"story_caption_1": "Đoàn rước"})
    assert r.headers["location"] == f"/posts/{key}/edit?saved=updated"
    stored = story_from_json(office.post_spec(key).options["story"])
    assert [(p.file.name, p.caption) for p in stored.photos] == [
        ("anh-2.jpg", None),
        ("anh-1.jpg", "Đoàn rước"),
    ]


def test_a_story_needs_photos(client: TestClient, office: Store) -> None:
    csrf = sign_in(client, OFFICER)
    r = client.post("/compose", data=fields(csrf, story="1"))
    assert r.status_code == 400 and "Cần ít nhất một ảnh" in r.text


# -- plan a post for this day ---------------------------------------------------------------------------
def test_the_calendar_link_prefills_the_official_title_with_its_ordinal(
    client: TestClient, office: Store
) -> None:
    sign_in(client, OFFICER)
    page = client.get("/compose?date=2026-04-30&occasion=giai-phong-mien-nam")
    assert page.status_code == 200
    title = "Kỷ niệm 51 năm Ngày giải phóng miền Nam, thống nhất đất nước (30/04/1975 – 30/04/2026)"
    assert f'name="title" value="{html.escape(title)}"' in page.text
    assert 'name="date" value="2026-04-30"' in page.text
    unknown = client.get("/compose?date=2026-04-29&occasion=giai-phong-mien-nam")
    assert unknown.status_code == 200 and "Không tìm thấy ngày lễ" in unknown.text


# -- units -------------------------------------------------------------------------------------------------
def test_an_officer_cannot_target_or_edit_another_units(client: TestClient, office: Store) -> None:
    queued(office, "bai-b", unit="xa-b", targets=(OTHER,))
    csrf = sign_in(client, OFFICER)
    assert client.post("/compose", data=fields(csrf, targets=[str(OTHER)])).status_code == 404
    assert client.get("/posts/bai-b/edit").status_code == 404
    assert client.post("/posts/bai-b/edit", data=fields(csrf)).status_code == 404
    assert [r.key for r in office.deliveries()] == ["bai-b"]


def test_one_post_goes_to_one_units_accounts(client: TestClient, office: Store) -> None:
    add_user(office, ADMIN, Role.ADMIN)
    csrf = sign_in(client, ADMIN)
    r = client.post("/compose", data=fields(csrf, targets=[str(DEMO), str(OTHER)]))
    assert r.status_code == 400 and "chỉ đăng lên tài khoản của một đơn vị" in error_of(r.text, "targets")
    r = client.post("/compose", data=fields(csrf, targets=[str(OTHER)], title="Tin xã B"))
    assert r.status_code == 303
    assert office.post_detail("tin-xa-b")["post"].unit == "xa-b"


def test_the_officer_of_unit_b_composes_for_unit_b(client: TestClient, office: Store) -> None:
    add_user(office, OFFICER_B, Role.OFFICER, unit="xa-b")
    csrf = sign_in(client, OFFICER_B)
    assert 'value="sandbox/demo"' not in client.get("/compose").text
    assert client.post("/compose", data=fields(csrf, targets=[str(DEMO)])).status_code == 404
    assert client.post("/compose", data=fields(csrf, targets=[str(OTHER)])).status_code == 303


# -- the preview's entry point -----------------------------------------------------------------------------
def test_draft_spec_gives_the_post_or_the_messages(client: TestClient, office: Store) -> None:
    csrf = sign_in(client, OFFICER)
    ctx = client.app.state.web  # type: ignore[attr-defined]
    viewer = Viewer(ctx.signin.session(client.cookies.get(COOKIE)), "preview")
    spec, problems = draft_spec(fields(csrf), viewer, ctx)
    assert spec is not None and problems == [] and spec.targets == (DEMO,)
    assert spec.key == "le-hoi-hoa-ban-xa-hanh-dich" and spec.source_file is None
    spec, problems = draft_spec(fields(csrf, title=""), viewer, ctx)
    assert spec is None and problems == ["Hãy nhập tiêu đề."]


def test_the_post_page_links_to_the_edit_page(client: TestClient, office: Store) -> None:
    queued(office)
    sign_in(client, OFFICER)
    assert 'href="/posts/bai-1/edit"' in client.get("/posts/bai-1").text
