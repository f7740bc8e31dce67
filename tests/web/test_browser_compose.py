"""The compose story in a real browser (Playwright + Debian's Chromium) against a real
``publisher run`` on SQLite, its Facebook Page served by the loopback fake Graph API: the officer
uploads two photos and a vertical clip with the chunked widget (progress to 100 %), sees the live
counters and the Reel preview, saves; the approver approves; the workers publish to
``sandbox/demo`` and to the fake Page; the weekly page lists the post and its XLSX opens with
openpyxl; an import with a bad time shows the error with its line and field.

Screenshots of compose (with the previews), import (with errors) and weekly are written on every
run to ``build/screenshots/``; ``docs/screenshots/`` holds the copies the README shows.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from publisher.core.models import Platform, Target
from publisher.platforms.base import Credentials
from publisher.store import Store
from tests.assets.media_factory import clip
from tests.conftest import make_settings
from tests.web.test_browser import (
    CHROMIUM,
    SHOTS,
    VN,
    Office,
    _add_user,
    _need_browser,
    _shot,
    _sign_in,
    one_time_password,
)
from tests.workers.fake_graph import FakeGraph

TITLE = "Ra quân tổng vệ sinh môi trường"
TEXT = "Sáng Chủ nhật, Đoàn thanh niên xã ra quân dọn dẹp đường làng, khơi thông cống rãnh."
PAGE = "ubnd-xa"


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    server = FakeGraph().start()
    yield server
    server.stop()


@pytest.fixture
def office(tmp_path: Path, graph: FakeGraph) -> Iterator[Office]:
    _need_browser()
    o = Office(tmp_path)
    o.env["PUBLISHER_FACEBOOK__GRAPH_URL"] = graph.url
    yield o
    o.stop()


def _media(root: Path) -> tuple[Path, Path, Path]:
    first, second = root / "anh-1.jpg", root / "anh-2.jpg"
    Image.new("RGB", (1200, 900), (30, 120, 60)).save(first, "JPEG", quality=85)
    Image.new("RGB", (900, 1200), (200, 80, 40)).save(second, "JPEG", quality=85)
    return first, second, clip(root / "doc.mp4", seconds=3, size="360x640")


def _uploaded(page: Any, field: str, n: int) -> None:
    """Wait until ``n`` uploads of the widget are finished: each bar at its max, each id in the form."""
    widget = f".upload[data-field='{field}']"
    page.wait_for_function(
        """([w, n]) => { const bars = [...document.querySelectorAll(w + ' progress')];
                         return bars.length === n && bars.every(b => b.value === b.max); }""",
        arg=[widget, n],
        timeout=30_000,
    )
    page.wait_for_function(
        "([w, n]) => document.querySelectorAll(w + ' input[type=hidden]').length === n",
        arg=[widget, n],
        timeout=30_000,
    )


def preview(page: Any) -> None:
    """Ask for the previews and wait for the new cards (htmx swaps them in)."""
    page.evaluate("document.querySelector('#compose-previews').replaceChildren()")
    page.click("button[hx-post='/compose/preview']")
    page.locator("#compose-previews article, #compose-previews .error").first.wait_for(timeout=30_000)


def _bad_plan(root: Path) -> Path:
    path = root / "ke-hoach-loi.csv"
    when = (datetime.now(VN) + timedelta(days=3)).strftime("%Y-%m-%d 07:00")
    path.write_text(
        "id,at,title,text,targets,images\n"
        f"bai-tot,{when},Bài tốt,Nội dung thông báo,sandbox/demo,\n"
        "bai-sai-gio,31/02/2026 07:00,Giờ sai,Nội dung thông báo,sandbox/demo,\n",
        encoding="utf-8",
    )
    return path


def test_compose_upload_preview_approve_publish_weekly_and_import(
    office: Office, graph: FakeGraph, tmp_path: Path
) -> None:
    from openpyxl import load_workbook
    from playwright.sync_api import sync_playwright

    admin_otp = one_time_password(office.cli("init", "--admin", "quan-tri"), "quan-tri")
    # the fake Page with its credentials, through the store of the same SQLite file
    store = Store(make_settings(office.root))
    store.add_account(
        Target(Platform.FACEBOOK, PAGE),
        actor="quan-tri",
        display_name="UBND xã",
        credentials=Credentials(access_token="tok-ubnd", remote_account_id="page-ubnd"),
    )
    first, second, video = _media(tmp_path)
    office.start()
    url = office.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            admin = browser.new_page()
            _sign_in(admin, url, "quan-tri", admin_otp, "mat-khau-quan-tri-1")
            officer_otp = _add_user(admin, url, "can-bo", "officer")
            approver_otp = _add_user(admin, url, "truong-ban", "approver")

            # the officer composes: words, targets, two photos and a vertical clip
            officer = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            _sign_in(officer, url, "can-bo", officer_otp, "mat-khau-can-bo-12")
            officer.goto(f"{url}/compose")
            officer.fill("#f-title", TITLE)
            officer.check("#target-sandbox-demo")
            officer.check(f"#target-facebook-{PAGE}")
            officer.type("#f-text", TEXT, delay=2)
            # the live check's per-platform count of the text, swapped in after typing
            officer.wait_for_function(
                """n => [...document.querySelectorAll('#check-text .counters li')]
                         .some(li => /facebook/i.test(li.textContent)
                                     && Number(li.querySelector('strong').textContent) >= n)""",
                arg=len(TEXT),
                timeout=15_000,
            )
            counted = officer.locator("#check-text .counters li", has_text="Facebook").inner_text()
            assert re.search(r"\b\d+/63206\b", counted), counted
            officer.set_input_files("#upload-photos", [str(first), str(second)])
            _uploaded(officer, "photos", 2)
            officer.set_input_files("#upload-video", str(video))
            _uploaded(officer, "video", 1)
            when = datetime.now(VN) - timedelta(minutes=2)  # due already: sent once approved
            officer.fill("#f-date", when.strftime("%Y-%m-%d"))
            officer.fill("#f-time", when.strftime("%H:%M"))
            officer.fill("#f-grace", "6")

            # the previews: Facebook takes no photos and a clip in one post (it says so on its card)
            preview(officer)
            facebook = officer.locator("#compose-previews article.preview-facebook")
            assert (
                "Facebook không cho trộn ảnh và video" in facebook.locator(".preview-problems").inner_text()
            )
            assert officer.locator("#compose-previews article.preview-sandbox").count() == 1

            # without the photos the clip is a Reel: its frame 9:16
            for _ in range(2):
                officer.click(".upload[data-field='photos'] .upload-remove >> nth=0")
            preview(officer)
            reel = officer.locator("#compose-previews article.preview-facebook[data-kind='facebook-reel']")
            assert reel.count() == 1, officer.inner_text("#compose-previews")
            frame = reel.locator(".frame-9x16").bounding_box()
            assert frame is not None and abs(frame["width"] / frame["height"] - 9 / 16) < 0.02, frame
            assert reel.locator(".preview-problems").count() == 0
            _shot(officer, "compose")

            # the Page gets the photos post (the fake Graph has no Reels): the clip out, the photos in
            officer.click(".upload[data-field='video'] .upload-remove")
            officer.set_input_files("#upload-photos", [str(first), str(second)])
            _uploaded(officer, "photos", 2)
            preview(officer)
            assert officer.locator("#compose-previews .preview-problems").count() == 0
            officer.click("form.compose button[type=submit]")
            officer.wait_for_url(re.compile(r".*/posts/[^/]+/edit\?saved=created"), timeout=30_000)
            key = officer.url.split("/posts/", 1)[1].split("/", 1)[0]

            # the approver approves it
            approver = browser.new_context().new_page()
            _sign_in(approver, url, "truong-ban", approver_otp, "mat-khau-truong-ban")
            approver.goto(f"{url}/posts/{key}")
            approver.click("form[action$='/approve'] button[type=submit]")
            approver.wait_for_load_state()

            # the workers publish it to the sandbox and to the fake Page
            def chip(target: str) -> str:
                cls = (
                    officer.locator("main tr", has_text=target).locator(".chip").first.get_attribute("class")
                )
                return str(cls)

            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                officer.goto(f"{url}/posts/{key}")
                if all("state-published" in chip(t) for t in ("sandbox/demo", f"facebook/{PAGE}")):
                    break
                time.sleep(1.0)
            assert "state-published" in chip("sandbox/demo"), office.log()[-3000:]
            assert "state-published" in chip(f"facebook/{PAGE}"), office.log()[-3000:]
            sent = [p for p in graph.state.posts if TITLE in p.message]
            assert [(p.page, p.published) for p in sent] == [("page-ubnd", True)], graph.state.posts
            assert TEXT in sent[0].message

            # the weekly review of this week lists it, and its XLSX opens with openpyxl
            year, week, _ = datetime.now(VN).isocalendar()
            week_q = f"{year}-W{week:02d}"
            officer.goto(f"{url}/weekly?week={week_q}")
            assert TITLE in officer.inner_text("main") or key in officer.inner_text("main")
            _shot(officer, "weekly")
            with officer.expect_download() as info:
                officer.click("a[data-format='xlsx']")
            assert info.value.suggested_filename.endswith(".xlsx"), info.value.suggested_filename
            book = load_workbook(io.BytesIO(info.value.path().read_bytes()), read_only=True)
            cells = {str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row}
            assert TITLE in cells or key in cells, sorted(cells)[:50]

            # an import with a bad time: the error with its line and field
            officer.goto(f"{url}/import")
            officer.set_input_files("#import-file", str(_bad_plan(tmp_path)))
            officer.click("form[action='/import'] button[type=submit]")
            row = officer.locator("tr.issue-error", has_text="bai-sai-gio")
            row.wait_for(timeout=15_000)
            assert [c.strip() for c in row.locator("td").all_inner_texts()[:3]] == ["3", "bai-sai-gio", "at"]
            _shot(officer, "import")
            assert all((SHOTS / f"{n}.png").stat().st_size > 5000 for n in ("compose", "weekly", "import"))
        finally:
            browser.close()
