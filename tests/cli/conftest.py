from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result

from publisher.settings import Settings, get_settings
from publisher.store import Store

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "schedules" / "examples" / "2025-thong-tin-doi-ngoai.yaml"
VN = ZoneInfo("Asia/Ho_Chi_Minh")

PAYLOADS = Path(__file__).resolve().parents[1] / "platforms" / "payloads"

GRAPH = "https://graph.facebook.com/v25.0"
ZALO_TOKEN = "https://oauth.zaloapp.com/v4/oa/access_token"
GOOGLE_TOKEN = "https://oauth2.googleapis.com/token"
APPS = {
    "PUBLISHER_FACEBOOK__APP_ID": "1234567890",
    "PUBLISHER_FACEBOOK__APP_SECRET": "FB-APP-SECRET",
    "PUBLISHER_ZALO__APP_ID": "app-1",
    "PUBLISHER_ZALO__APP_SECRET": "ZALO-APP-SECRET",
    "PUBLISHER_YOUTUBE__CLIENT_ID": "client-1.apps.googleusercontent.com",
    "PUBLISHER_YOUTUBE__CLIENT_SECRET": "GOOGLE-SECRET",
}


def payload(platform: str, name: str) -> dict:
    return json.loads((PAYLOADS / platform / f"{name}.json").read_text(encoding="utf-8"))


#: the people of the test office, added right after the first ``publisher init`` (as an office
#: does once): an admin, the one who queues (PUBLISHER_USER; an approver too, so that the
#: four-eyes rule, not the role, is what stops them approving their own post) and an approver
OFFICE = (("quan-tri", "admin"), ("can-bo", "approver"), ("chu-tich", "approver"))


class Cli:
    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, people: bool = True) -> None:
        self.data = tmp_path / "var"
        self.env = {"PUBLISHER_DATA_DIR": str(self.data), "PUBLISHER_USER": "can-bo", "COLUMNS": "200"}
        for k, v in self.env.items():
            monkeypatch.setenv(k, v)
        monkeypatch.chdir(tmp_path)
        self.runner = CliRunner()
        self.people = people

    def __call__(self, *args: str, input: str | None = None, **env: str) -> Result:
        from publisher.cli.main import cli

        get_settings.cache_clear()
        result = self.runner.invoke(
            cli, list(args), input=input, env={**self.env, **env}, catch_exceptions=False
        )
        if self.people and list(args[:1]) == ["init"] and result.exit_code == 0:
            self.people = False
            for name, role in OFFICE:
                added = self("users", "add", name, "--role", role, "--by", OFFICE[0][0])
                assert added.exit_code == 0, added.output
        return result


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    get_settings.cache_clear()
    yield Cli(tmp_path, monkeypatch)
    get_settings.cache_clear()


@pytest.fixture
def bare(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    """Like ``run``, on an office with no users yet."""
    get_settings.cache_clear()
    yield Cli(tmp_path, monkeypatch, people=False)
    get_settings.cache_clear()


def future_schedule(tmp_path: Path, days: int = 10) -> tuple[Path, datetime]:
    when = (datetime.now(VN) + timedelta(days=days)).replace(hour=7, minute=0, second=0, microsecond=0)
    path = tmp_path / "lich.yaml"
    path.write_text(
        f"""timezone: Asia/Ho_Chi_Minh
defaults:
  targets: [sandbox/demo]
posts:
  - id: bai-mot
    at: {when:%Y-%m-%d %H:%M}
    title: Kỷ niệm ngày thành lập xã
    text: Chào mừng ngày thành lập xã Hạnh Dịch.
""",
        encoding="utf-8",
    )
    return path, when


def late_schedule(tmp_path: Path, minutes_ago: int = 30, extra: str = "") -> Path:
    when = datetime.now(VN) - timedelta(minutes=minutes_ago)
    path = tmp_path / "tre.yaml"
    path.write_text(
        f"""timezone: Asia/Ho_Chi_Minh
posts:
  - id: bai-tre
    at: {when:%Y-%m-%d %H:%M}
    title: Thông báo khẩn
    text: Lịch cắt điện hôm nay.
    targets: [sandbox/demo]
{extra}""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def office(run: Cli) -> Iterator[Store]:
    """The store behind the CLI's data directory, for setting up and reading back."""
    run("init")
    st = Store(Settings(_env_file=None, data_dir=run.data, user="can-bo"))
    yield st
    st.db.dispose()
