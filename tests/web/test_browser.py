"""The officer's story in a real browser (Playwright + Debian's Chromium) against a real
``publisher run`` on SQLite: sign-in with one-time passwords, users made by the admin, the
calendar with the anniversaries, a post queued from a schedule file, approved with the keyboard,
published by the workers to ``sandbox/demo`` and shown published with its link.

Screenshots of the dashboard, calendar, post page and accounts page are written on every run to
``build/screenshots/`` (``PUBLISHER_TEST_SCREENSHOTS`` to change it); ``docs/screenshots/`` holds
the copies the README shows.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from publisher.core.states import State
from tests.conftest import REQUIRE
from tests.workers.conftest import ROOT
from tests.workers.test_run import free_port

CHROMIUM = "/usr/bin/chromium"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
SHOTS = Path(os.environ.get("PUBLISHER_TEST_SCREENSHOTS", ROOT / "build" / "screenshots"))


def _need_browser() -> None:
    if Path(CHROMIUM).exists():
        return
    text = "Chromium is not installed; install it with: apt-get install chromium"
    if REQUIRE:
        pytest.fail(text + " (PUBLISHER_TEST_REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(text)


class Office:
    """A data directory, the CLI over it, and a running ``publisher run``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PUBLISHER_")}
        self.env.update(
            PYTHONPATH=str(ROOT),
            PUBLISHER_DATA_DIR=str(root / "var"),
            PUBLISHER_TICK_SECONDS="0.5",
            PUBLISHER_USER="quan-tri",
            PUBLISHER_WEB__PORT=str(self.port),
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str, user: str = "quan-tri", stdin: str | None = None) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "publisher.cli.main", *args],
            env={**self.env, "PUBLISHER_USER": user},
            cwd=self.root,
            input=stdin.encode() if stdin is not None else None,
            capture_output=True,
            timeout=120,
            check=False,
        )
        out = done.stdout.decode() + done.stderr.decode()
        assert done.returncode == 0, out
        return out

    def start(self) -> None:
        log = (self.root / "run.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "publisher.cli.main", "run", "-c", "1"],
            env=self.env,
            cwd=self.root,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as answer:
                    if json.loads(answer.read()) == {"status": "ok"}:
                        return
            except OSError:
                time.sleep(0.3)
        raise AssertionError(self.log()[-3000:])

    def log(self) -> str:
        return (self.root / "run.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.proc is None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    _need_browser()
    o = Office(tmp_path)
    yield o
    o.stop()


def one_time_password(output: str, name: str) -> str:
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if "một lần" in line and name in line:
            return lines[i + 1].strip()
    raise AssertionError(output)


def _contrast(fg: str, bg: str) -> float:
    def lum(css: str) -> float:
        r, g, b = (int(x) / 255 for x in re.findall(r"\d+", css)[:3])
        ch = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2]

    a, b = sorted((lum(fg), lum(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def _unlabelled(page: Any) -> list[str]:
    """Visible form fields without a label (a <label for>, a wrapping label or aria-label)."""
    found: list[str] = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
             .filter(e => e.type !== 'hidden' && e.offsetParent !== null)
             .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                          && !e.getAttribute('aria-labelledby'))
             .map(e => e.outerHTML.slice(0, 120))"""
    )
    return found


def _sign_in(page: Any, url: str, name: str, password: str, new_password: str | None = None) -> None:
    page.goto(f"{url}/login")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("button[type=submit]")
    if new_password is not None:  # a one-time password: changed at once
        page.wait_for_url(re.compile(r".*/password$"))
        page.fill("#current", password)
        page.fill("#new", new_password)
        page.fill("#repeat", new_password)
        page.click("main button[type=submit]")
    page.wait_for_url(re.compile(rf"^{re.escape(url)}/$"))


def _add_user(page: Any, url: str, name: str, role: str) -> str:
    page.goto(f"{url}/users")
    page.fill("#add-name", name)
    page.select_option("#add-role", role)
    page.click("form.add-user button[type=submit]")
    page.wait_for_selector("#one-time-password")
    return str(page.inner_text("#one-time-password")).strip()


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _plan(root: Path) -> Path:
    when = datetime.now(VN) - timedelta(minutes=2)  # due already: sent as soon as it is approved
    path = root / "ke-hoach.yaml"
    path.write_text(
        f"""timezone: Asia/Ho_Chi_Minh
posts:
  - id: tiem-chung
    at: {when:%Y-%m-%d %H:%M}
    grace: 6h
    title: Lịch tiêm chủng tháng này
    text: Trạm y tế xã thông báo lịch tiêm chủng mở rộng cho trẻ em.
    targets: [sandbox/demo]
""",
        encoding="utf-8",
    )
    return path


def test_the_officers_story_in_a_real_browser(office: Office) -> None:
    from playwright.sync_api import sync_playwright

    admin_otp = one_time_password(office.cli("init", "--admin", "quan-tri"), "quan-tri")
    office.start()
    url = office.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            # the admin signs in with the one-time password and makes an officer and an approver
            admin = browser.new_page()
            _sign_in(admin, url, "quan-tri", admin_otp, "mat-khau-quan-tri-1")
            officer_otp = _add_user(admin, url, "can-bo", "officer")
            approver_otp = _add_user(admin, url, "truong-ban", "approver")
            assert _unlabelled(admin) == []

            # a post queued from a schedule file (by the officer, from the CLI)
            office.cli("queue", str(_plan(office.root)), user="can-bo")

            # the officer signs in and sees the calendar with the anniversaries and the post
            officer = browser.new_context().new_page()
            _sign_in(officer, url, "can-bo", officer_otp, "mat-khau-can-bo-12")
            officer.goto(f"{url}/calendar")
            calendar = officer.inner_text("main")
            assert "Lịch tiêm chủng tháng này" in calendar
            officer.goto(f"{url}/calendar?month=2026-12")
            assert "Quân đội nhân dân" in officer.inner_text("main")  # 22/12, with its ordinal
            assert _unlabelled(officer) == []

            # the approver approves it with the keyboard alone
            approver = browser.new_context().new_page()
            _sign_in(approver, url, "truong-ban", approver_otp, "mat-khau-truong-ban")
            approver.goto(f"{url}/posts/tiem-chung")
            approve = approver.locator("form[action$='/approve'] button[type=submit]")
            for _ in range(80):
                approver.keyboard.press("Tab")
                if approve.evaluate("b => b === document.activeElement"):
                    break
            else:
                raise AssertionError("the approve button cannot be reached with Tab")
            approver.keyboard.press("Enter")
            approver.wait_for_load_state()

            # the workers publish it to sandbox/demo; the post page and the calendar show it
            # published, with its link
            deadline = time.monotonic() + 90
            published = False
            while time.monotonic() < deadline and not published:
                officer.goto(f"{url}/posts/tiem-chung")
                published = officer.locator("main .chip.state-published").count() > 0
                if not published:
                    time.sleep(1.0)
            assert published, office.log()[-3000:]
            link = officer.locator("a.remote").first
            href = link.get_attribute("href")
            assert href and href.startswith("/outbox/"), officer.content()[:3000]
            link.click()
            assert "Lịch tiêm chủng tháng này" in officer.content()  # the sandbox's page of the post
            officer.goto(f"{url}/calendar")
            chip = officer.locator("main a.chip.state-published", has_text="Lịch tiêm chủng tháng này")
            assert chip.count() == 1
            assert list((office.root / "var" / "outbox" / "demo").glob("*.html"))

            # the state colours are readable (WCAG AA, 4.5:1)
            officer.goto(f"{url}/calendar")
            for state in State:
                colours = officer.evaluate(
                    """s => { const e = document.createElement('span'); e.className = 'chip state-' + s;
                              e.textContent = s; document.body.appendChild(e);
                              const c = getComputedStyle(e); const r = [c.color, c.backgroundColor];
                              e.remove(); return r; }""",
                    state.value,
                )
                assert _contrast(*colours) >= 4.5, (state, colours)

            # screenshots of the four pages, on every run
            for name, path in (
                ("dashboard", "/"),
                ("calendar", "/calendar"),
                ("post", "/posts/tiem-chung"),
                ("accounts", "/accounts"),
            ):
                admin.goto(url + path)
                _shot(admin, name)
            assert all((SHOTS / f"{n}.png").stat().st_size > 5000 for n in ("dashboard", "calendar", "post"))
        finally:
            browser.close()


def test_chromium_is_the_one_ci_installs() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "apt-get install" in ci and "chromium" in ci
    assert shutil.which("chromium") or not REQUIRE
