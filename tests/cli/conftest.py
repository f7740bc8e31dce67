from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from publisher.settings import get_settings

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
