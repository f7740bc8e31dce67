"""Every setting is documented in .env.example and the README; nested settings use ``__``."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from publisher.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def env_names() -> list[str]:
    names: list[str] = []
    for name, info in Settings.model_fields.items():
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            names += [f"PUBLISHER_{name.upper()}__{sub.upper()}" for sub in ann.model_fields]
        else:
            names.append(f"PUBLISHER_{name.upper()}")
    return names


def test_every_setting_is_in_env_example_and_readme() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing_example = [n for n in env_names() if n not in example]
    missing_readme = [n for n in env_names() if n not in readme]
    assert missing_example == []
    assert missing_readme == []


def test_nested_settings_from_environment(monkeypatch: object) -> None:
    import pytest

    mp = pytest.MonkeyPatch()
    try:
        mp.setenv("PUBLISHER_FACEBOOK__GRAPH_URL", "http://127.0.0.1:9999")
        mp.setenv("PUBLISHER_MEDIA_ROOTS", "/srv/a:/srv/b")
        mp.setenv("PUBLISHER_REQUIRE_APPROVAL", "false")
        s = Settings(_env_file=None)  # type: ignore[call-arg]
    finally:
        mp.undo()
    assert s.facebook.graph_url == "http://127.0.0.1:9999"
    assert s.media_roots == [Path("/srv/a"), Path("/srv/b")]
    assert s.require_approval is False
    assert Settings(_env_file=None).require_approval is True  # type: ignore[call-arg]


def test_env_example_is_current() -> None:
    assert (ROOT / ".env.example").read_text(encoding="utf-8") == Settings.env_example(), (
        'regenerate: python -c "from publisher.settings import Settings; '
        "open('.env.example','w').write(Settings.env_example())\""
    )


def test_readme_settings_table_is_current() -> None:
    from publisher.docs import render_readme

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert render_readme(text) == text, "regenerate with: python -m publisher.docs"


def test_alert_recipients_from_environment() -> None:
    import pytest

    mp = pytest.MonkeyPatch()
    try:
        mp.setenv("PUBLISHER_ALERTS__EMAIL_TO", "vanhoa@xa.gov.vn, chutich@xa.gov.vn")
        s = Settings(_env_file=None)  # type: ignore[call-arg]
    finally:
        mp.undo()
    assert s.alerts.email_to == ["vanhoa@xa.gov.vn", "chutich@xa.gov.vn"]
