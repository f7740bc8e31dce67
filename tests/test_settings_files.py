"""Secret settings from files: ``PUBLISHER_<NAME>_FILE`` (Docker secrets)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from publisher.i18n import set_language
from publisher.settings import Settings, get_settings
from publisher.settings.files import SecretFileError, secret_paths
from publisher.store.crypto import load_key


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    set_language("en")
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in list(os.environ):
        if name.upper().startswith("PUBLISHER_") and name.upper() != "PUBLISHER_LANGUAGE":
            monkeypatch.delenv(name)


def _secret(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_secret_setting_can_come_from_a_file() -> None:
    paths = secret_paths(Settings)
    for expected in [
        ("secret_key",),
        ("database_url",),
        ("broker_url",),
        ("facebook", "app_secret"),
        ("youtube", "client_secret"),
        ("zalo", "app_secret"),
        ("alerts", "smtp_password"),
        ("alerts", "webhook_url"),
    ]:
        assert expected in paths
    assert ("forbidden_words",) not in paths and ("timezone",) not in paths


def test_values_are_read_from_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("PUBLISHER_SECRET_KEY_FILE", str(_secret(tmp_path, "key", key + "\n")))
    url = "postgresql+psycopg://publisher:p%40ss@db:5432/publisher"
    monkeypatch.setenv("PUBLISHER_DATABASE_URL_FILE", str(_secret(tmp_path, "db", url + "\n")))
    monkeypatch.setenv("PUBLISHER_FACEBOOK__APP_SECRET_FILE", str(_secret(tmp_path, "fb", "fb-secret")))
    monkeypatch.setenv("PUBLISHER_FACEBOOK__GRAPH_URL", "http://127.0.0.1:9999")  # same section, plain
    monkeypatch.setenv("PUBLISHER_ALERTS__SMTP_PASSWORD_FILE", str(_secret(tmp_path, "smtp", " sp \n\n")))
    monkeypatch.setenv("PUBLISHER_YOUTUBE__CLIENT_SECRET_FILE", str(_secret(tmp_path, "yt", "yt\r\n")))
    st = Settings()
    assert st.secret_key is not None and st.secret_key.get_secret_value() == key
    assert st.database_url == url
    assert st.facebook.app_secret is not None and st.facebook.app_secret.get_secret_value() == "fb-secret"
    assert st.facebook.graph_url == "http://127.0.0.1:9999"
    # only one final newline goes; anything else is the secret's own
    assert st.alerts.smtp_password is not None and st.alerts.smtp_password.get_secret_value() == " sp \n"
    assert st.youtube.client_secret is not None and st.youtube.client_secret.get_secret_value() == "yt"
    # the Fernet key from a file is the key the store uses (no key file needed in the data dir)
    loaded, _source = load_key(st)
    assert loaded == key.encode()


def test_file_variable_in_dotenv(tmp_path: Path) -> None:
    secret = _secret(tmp_path, "zalo", "z-secret\n")
    (tmp_path / ".env").write_text(f"PUBLISHER_ZALO__APP_SECRET_FILE={secret}\n", encoding="utf-8")
    st = Settings()
    assert st.zalo.app_secret is not None and st.zalo.app_secret.get_secret_value() == "z-secret"


def test_both_value_and_file_is_an_error_naming_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLISHER_BROKER_URL", "redis://:hunter2@redis:6379/0")
    monkeypatch.setenv("PUBLISHER_BROKER_URL_FILE", str(_secret(tmp_path, "b", "redis://x\n")))
    with pytest.raises(SecretFileError) as caught:
        Settings()
    text = str(caught.value)
    assert "PUBLISHER_BROKER_URL " in text + " " and "PUBLISHER_BROKER_URL_FILE" in text
    assert "hunter2" not in text


def test_value_in_dotenv_and_file_in_environment_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("PUBLISHER_ALERTS__SMTP_PASSWORD=pw\n", encoding="utf-8")
    monkeypatch.setenv("PUBLISHER_ALERTS__SMTP_PASSWORD_FILE", str(_secret(tmp_path, "s", "pw2")))
    with pytest.raises(SecretFileError, match="PUBLISHER_ALERTS__SMTP_PASSWORD_FILE"):
        Settings()


def test_blank_value_with_a_file_is_not_a_conflict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``.env.example`` copied as is leaves ``PUBLISHER_SECRET_KEY=`` blank: the file still counts."""
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("PUBLISHER_SECRET_KEY", "")
    monkeypatch.setenv("PUBLISHER_SECRET_KEY_FILE", str(_secret(tmp_path, "k", key)))
    st = Settings()
    assert st.secret_key is not None and st.secret_key.get_secret_value() == key


def test_unreadable_file_names_variable_and_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "run" / "secrets" / "nope"
    monkeypatch.setenv("PUBLISHER_ZALO__APP_SECRET_FILE", str(missing))
    with pytest.raises(SecretFileError) as caught:
        Settings()
    assert "PUBLISHER_ZALO__APP_SECRET_FILE" in str(caught.value) and str(missing) in str(caught.value)

    binary = tmp_path / "bin"
    binary.write_bytes(b"\xff\xfe\x00secret")
    monkeypatch.setenv("PUBLISHER_ZALO__APP_SECRET_FILE", str(binary))
    with pytest.raises(SecretFileError, match="not UTF-8"):
        Settings()


def test_get_settings_reports_it_as_a_user_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from publisher.errors import UserError

    monkeypatch.setenv("PUBLISHER_SECRET_KEY_FILE", str(tmp_path / "absent"))
    get_settings.cache_clear()
    try:
        with pytest.raises(UserError, match="PUBLISHER_SECRET_KEY_FILE"):
            get_settings()
    finally:
        get_settings.cache_clear()


def test_init_arguments_still_win(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLISHER_BROKER_URL_FILE", str(_secret(tmp_path, "b", "redis://from-file\n")))
    assert Settings(broker_url="redis://given").broker_url == "redis://given"
    assert Settings().broker_url == "redis://from-file"


def test_plain_file_settings_keep_their_meaning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``PUBLISHER_FORBIDDEN_WORDS_FILE`` is a setting of its own (a path), not a secret's file."""
    words = _secret(tmp_path, "words", "cấm\n")
    monkeypatch.setenv("PUBLISHER_FORBIDDEN_WORDS_FILE", str(words))
    st = Settings()
    assert st.forbidden_words_file == words and st.forbidden_words == []
