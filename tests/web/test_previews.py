"""Previews per platform: built from the prepared variants (in the publisher's cache), cut and
reformatted as each platform shows a post, their pictures served only to the session they were made
for, and nothing of the originals' paths in the page."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from assets.prepare import prepare
from publisher.core.models import PostSpec, Target
from publisher.core.people import Role
from publisher.i18n import set_language
from publisher.settings import Settings
from publisher.store import Store
from publisher.web.deps import COOKIE
from publisher.web.previews import facebook_layout, previews_for
from publisher.web.routes import preview as preview_route
from tests.assets import media_factory as mf
from tests.conftest import need_ffmpeg
from tests.web.conftest import add_user, sign_in
from tests.web.test_uploads import upload

FACEBOOK = Target.parse("facebook/trang-xa")
YOUTUBE = Target.parse("youtube/kenh-xa")
ZALO = Target.parse("zalo/oa-xa")
OFFICER, OTHER_UNIT, ADMIN = "Cán Bộ An", "Cán Bộ Xã Khác", "Quản Trị"
FILE_URL = re.compile(r'src="(/previews/file/[0-9a-f]{64}-[0-9a-f]{32})"')


@pytest.fixture(autouse=True)
def _ffmpeg() -> None:
    need_ffmpeg()


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    """Where the originals live: outside the cache, a folder the page must never name."""
    folder = tmp_path / "anh-goc-cua-xa"
    folder.mkdir()
    return folder


def photos(folder: Path, n: int, size: tuple[int, int] = (1200, 900)) -> tuple[Path, ...]:
    """``n`` photos of different content (so that each has its own prepared variant)."""
    return tuple(
        mf.photo(folder / f"anh-{i}.jpg", size, orientation=None, colour=(40 * i % 255, 120, 200 - 20 * i))
        for i in range(n)
    )


def spec(key: str = "bai-1", **kw: Any) -> PostSpec:
    values: dict[str, Any] = dict(
        key=key,
        title="Thông báo lịch tiêm chủng",
        text="Tiêm chủng sáng thứ Bảy\ntại trạm y tế xã.",
        due_at=datetime.now(UTC).replace(microsecond=0) + timedelta(days=2),
        timezone="Asia/Ho_Chi_Minh",
        targets=(FACEBOOK,),
    )
    values.update(kw)
    return PostSpec(**values)


def office(store: Store) -> None:
    add_user(store, OFFICER, Role.OFFICER)
    add_user(store, OTHER_UNIT, Role.OFFICER, unit="xa-khac")
    add_user(store, ADMIN, Role.ADMIN)
    for target in (FACEBOOK, YOUTUBE, ZALO):
        store.add_account(target, ADMIN)


def preview_page(client: TestClient, store: Store, post: PostSpec) -> str:
    office(store)
    store.queue([post], actor=OFFICER)
    sign_in(client, OFFICER)
    page = client.get(f"/posts/{post.key}/preview")
    assert page.status_code == 200, page.text
    assert "style=" not in page.text and "<script>" not in page.text
    return page.text


def card(html: str, kind: str) -> str:
    """The card of ``kind`` in the page."""
    found = re.search(rf'<article class="card preview[^"]*" data-kind="{kind}".*?</article>', html, re.S)
    assert found, f"no {kind} card"
    return found.group(0)


def picture(client: TestClient, url: str) -> Image.Image:
    r = client.get(url)
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    return Image.open(io.BytesIO(r.content))


# -- Facebook ------------------------------------------------------------------------------------


def test_three_photos_are_a_facebook_grid_of_three_cells_made_from_the_prepared_variants(
    client: TestClient, web_store: Store, web_settings: Settings, media_dir: Path
) -> None:
    three = photos(media_dir, 3)
    html = preview_page(client, web_store, spec(images=three))
    fb = card(html, "facebook-post")
    assert fb.count('class="fb-cell"') == 3 and 'data-cells="3"' in fb
    assert 'class="fb-grid three-top"' in fb  # landscape first photo: one wide on top, two below
    assert "Facebook xếp 3 ảnh thành lưới" in fb
    assert "Ảnh 1, 2, 3: Đã xoá siêu dữ liệu (EXIF, gồm vị trí GPS)." in fb  # what preparing changed
    assert "Tiêu đề được đặt làm dòng đầu của bài" in fb
    urls = FILE_URL.findall(fb)
    assert len(set(urls)) == 3
    shown = picture(client, urls[0])
    assert shown.size == (960, 720) and not shown.getexif()  # a small copy of the prepared variant
    # the variants are the publisher's: preparing them again finds them in its cache
    again = prepare(three[0], "facebook-photo", web_settings.cache_dir, media=web_settings.media)
    assert again.cached
    assert str(media_dir) not in html and media_dir.name not in html


@pytest.mark.parametrize(
    ("shapes", "total", "layout"),
    [
        ([(800, 1200)], 1, "single tall"),  # 2:3, taller than 4:5: cut to 4:5
        ([(900, 1000)], 1, "single"),
        ([(2000, 800)], 1, "single wide"),  # 2.5:1, wider than 1.91:1
        ([(900, 1200), (900, 1200)], 2, "two-cols"),
        ([(1200, 800), (1200, 800)], 2, "two-rows"),
        ([(900, 1200)] * 3, 3, "three-left"),
        ([(1000, 1000)] * 4, 4, "four-grid"),
        ([(1200, 800)] * 4, 4, "four-top"),
        ([(800, 1200)] * 4, 4, "four-left"),
        ([(800, 1200)] * 5, 9, "five"),
    ],
)
def test_the_facebook_grid_for_1_2_3_4_and_5_or_more_photos(
    shapes: list[tuple[int, int]], total: int, layout: str
) -> None:
    assert facebook_layout(shapes, total) == layout


def test_more_than_five_photos_show_five_cells_and_the_rest_as_a_count(
    web_settings: Settings, media_dir: Path
) -> None:
    seven = photos(media_dir, 7, (300, 400))
    (fb,) = previews_for(spec(images=seven), web_settings)
    assert fb.layout == "five" and len(fb.pictures) == 5 and fb.more == 2
    assert "Lưới chỉ hiện 5 ảnh; 2 ảnh còn lại nằm sau ô “+2”." in fb.notes


def test_a_tall_single_photo_says_it_is_cut_to_4_5(web_settings: Settings, media_dir: Path) -> None:
    (fb,) = previews_for(spec(images=photos(media_dir, 1, (600, 1200))), web_settings)
    assert fb.layout == "single tall"
    assert fb.notes[0].startswith("Ảnh được cắt về 4:5 cho Facebook")


def test_a_long_text_is_cut_where_the_feed_says_see_more(web_settings: Settings) -> None:
    (fb,) = previews_for(spec(text="\n".join(f"Dòng {i}" for i in range(1, 12))), web_settings)
    # five lines of the feed: the title, the blank line after it, three lines of the text
    assert fb.text_more and fb.text.endswith("Dòng 3") and "Dòng 4" not in fb.text
    assert any("Xem thêm" in n for n in fb.notes)


# -- clips: Reels, Shorts, feed videos ---------------------------------------------------------


def test_a_vertical_clip_is_a_reel_and_a_short_framed_9_16(
    client: TestClient, web_store: Store, web_settings: Settings, media_dir: Path
) -> None:
    clip = mf.clip(media_dir / "doc.mp4", size="180x320", seconds=3.5)
    html = preview_page(client, web_store, spec(video=clip, targets=(FACEBOOK, YOUTUBE)))
    for kind in ("facebook-reel", "youtube-short"):
        frame = card(html, kind)
        assert 'class="frame-9x16' in frame
        (url,) = FILE_URL.findall(frame)
        w, h = picture(client, url).size
        assert w * 16 == h * 9  # the prepared clip's own frame (1080×1920 with the blurred fill)
    assert "Video dọc: đăng thành Reel, khung 9:16." in card(html, "facebook-reel")
    assert "YouTube hiện là Short, khung 9:16" in card(html, "youtube-short")
    assert "Đổi khung hình 180×320 thành 1080×1920." in html
    assert prepare(clip, "facebook-reel", web_settings.cache_dir, media=web_settings.media).cached
    assert str(media_dir) not in html


def test_a_landscape_clip_on_facebook_is_a_normal_video_not_a_reel(
    client: TestClient, web_store: Store, media_dir: Path
) -> None:
    clip = mf.clip(media_dir / "ngang.mp4", seconds=3.5)
    html = preview_page(client, web_store, spec(video=clip))
    fb = card(html, "facebook-video")
    assert "Video ngang sẽ thành video thường trên Trang, không phải Reel" in fb
    assert "frame-9x16" not in fb
    set_language("en")
    try:
        assert "becomes a normal Page video, not a Reel" in client.get("/posts/bai-1/preview").text
    finally:
        set_language("vi")


def test_a_long_youtube_title_shows_the_cut_and_why(
    client: TestClient, web_store: Store, media_dir: Path
) -> None:
    title = "Kỷ niệm 51 năm Ngày Giải phóng miền Nam, thống nhất đất nước " * 3  # 183 characters
    clip = mf.clip(media_dir / "ngang.mp4", seconds=3.5)
    text = "Dòng một của mô tả\nDòng hai\nDòng ba\nDòng bốn không hiện trong kết quả tìm kiếm"
    html = preview_page(
        client,
        web_store,
        spec(title=title, text=text, video=clip, images=photos(media_dir, 1), targets=(YOUTUBE,)),
    )
    yt = card(html, "youtube-video")
    kept, cut = title.strip()[:100], title.strip()[100:]
    assert f'{kept}<del class="cut"' in yt and f">{cut}</del>" in yt
    assert f"Tiêu đề bị cắt sau 100 ký tự: dài {len(title.strip())} ký tự, YouTube chỉ nhận 100." in yt
    assert "Dòng ba" in yt and "Dòng bốn" not in yt and "...thêm" in yt
    assert "Ảnh thu nhỏ làm từ ảnh 1, cắt về khung 16:9 (1280×720)." in yt
    (url,) = FILE_URL.findall(yt)
    w, h = picture(client, url).size
    assert w * 9 == h * 16  # the prepared thumbnail, not the 4:3 photo


# -- Zalo ------------------------------------------------------------------------------------------


def test_the_zalo_card_uses_the_cover(client: TestClient, web_store: Store) -> None:
    covered = spec(targets=(ZALO,), options={"zalo": {"cover_url": "https://cdn.example.vn/ảnh bìa.jpg"}})
    html = preview_page(client, web_store, covered)
    zalo = card(html, "zalo-article")
    assert (
        'src="https://cdn.example.vn/%E1%BA%A3nh%20b%C3%ACa.jpg"' in zalo
    )  # encoded as the adapter sends it
    assert "Zalo hiện ảnh bìa khung 16:9" in zalo
    web_store.queue([spec("bai-2", targets=(ZALO,))], actor=OFFICER)
    bare = card(client.get("/posts/bai-2/preview").text, "zalo-article")
    assert "Chưa có ảnh bìa" in bare and "cần ảnh bìa là đường dẫn HTTPS công khai" in bare


# -- the pictures' route, units, the compose form ------------------------------------------------


def test_pictures_are_served_only_as_preview_copies_of_this_session(
    client: TestClient, web_store: Store, web_settings: Settings, media_dir: Path
) -> None:
    one = photos(media_dir, 1)
    html = preview_page(client, web_store, spec(images=one))
    (url,) = FILE_URL.findall(html)
    assert client.get(url).status_code == 200
    key, signature = url.rsplit("/", 1)[1].split("-")
    forged = "0" * 32 if signature != "0" * 32 else "1" * 32
    for name in (f"{key}-{forged}", key, "..%2F..%2Fetc%2Fpasswd", f"{'0' * 64}-{signature}"):
        assert client.get(f"/previews/file/{name}").status_code == 404, name
    session = client.app.state.web.signin.session(client.cookies.get(COOKIE))  # type: ignore[attr-defined]
    viewer: Any = SimpleNamespace(session=session)
    # a variant of the cache that is not a preview copy, though signed for this session: 404
    variant = prepare(one[0], "facebook-photo", web_settings.cache_dir, media=web_settings.media)
    assert (
        client.get(
            f"/previews/file/{variant.path.stem}-{preview_route._signature(viewer, variant.path.stem)}"
        ).status_code
        == 404
    )
    # another unit: neither the post's preview nor this picture
    client.cookies.clear()
    sign_in(client, OTHER_UNIT)
    assert client.get("/posts/bai-1/preview").status_code == 404
    assert client.get(url).status_code == 404
    client.cookies.clear()
    assert client.get(url).status_code == 303  # no session: to the sign-in page
    # a preview copy that leads out of the cache (a link planted in it) is not served either
    sign_in(client, OFFICER)
    (url,) = FILE_URL.findall(client.get("/posts/bai-1/preview").text)
    assert client.get(url).status_code == 200
    meta = json.loads((web_settings.cache_dir / key[:2] / f"{key}.json").read_text("utf-8"))
    copy = web_settings.cache_dir / key[:2] / f"{key}{meta['suffix']}"
    outside = media_dir / "bi-mat.jpg"
    Image.new("RGB", (8, 8)).save(outside)
    copy.unlink()
    copy.symlink_to(outside)
    assert client.get(url).status_code == 404


def test_the_compose_form_is_previewed_from_its_uploads(
    client: TestClient, web_store: Store, media_dir: Path, web_settings: Settings
) -> None:
    office(web_store)
    csrf = sign_in(client, OFFICER)
    ids = []
    for path in photos(media_dir, 3, (900, 1200)):
        done = upload(client, csrf, path.read_bytes(), path.name)
        assert done.status_code == 200 and done.json()["done"], done.text
        ids.append(done.json()["id"])
    day = (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(days=3)).date().isoformat()
    form = {"title": "Lịch tiêm chủng", "text": "Sáng thứ Bảy.", "targets": [str(FACEBOOK)], "date": day}
    r = client.post(
        "/compose/preview", data={**form, "time": "08:00", "photos": ids}, headers={"X-CSRF-Token": csrf}
    )
    assert r.status_code == 200, r.text
    fb = card(r.text, "facebook-post")
    assert fb.count('class="fb-cell"') == 3 and 'class="fb-grid three-left"' in fb
    assert str(web_settings.data_dir) not in r.text and "<html" not in r.text  # a fragment
    refused = client.post("/compose/preview", data={"title": ""}, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 200 and "Chưa xem trước được" in refused.text
    assert client.post("/compose/preview", data=form).status_code == 403  # no CSRF token


def test_a_photo_that_cannot_be_prepared_is_named_without_its_folder(
    web_settings: Settings, media_dir: Path
) -> None:
    broken = media_dir / "hong.jpg"
    broken.write_bytes(b"\xff\xd8 not a jpeg")
    (fb,) = previews_for(spec(images=(broken,)), web_settings)
    assert fb.problems and "hong.jpg" in fb.problems[0]
    assert all(str(media_dir) not in text for text in fb.problems + fb.notes)
