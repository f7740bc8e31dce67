from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from publisher.settings import get_settings


class Cli:
    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.data = tmp_path / "var"
        self.env = {"PUBLISHER_DATA_DIR": str(self.data), "PUBLISHER_USER": "can-bo", "COLUMNS": "200"}
        for k, v in self.env.items():
            monkeypatch.setenv(k, v)
        monkeypatch.chdir(tmp_path)
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, **env: str) -> Result:
        from publisher.cli.main import cli

        get_settings.cache_clear()
        return self.runner.invoke(cli, list(args), input=input, env={**self.env, **env}, catch_exceptions=False)


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    get_settings.cache_clear()
    yield Cli(tmp_path, monkeypatch)
    get_settings.cache_clear()
