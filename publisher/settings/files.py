"""Secret settings read from files: ``PUBLISHER_<NAME>_FILE=/run/secrets/...`` (Docker secrets).

Every secret setting (a ``SecretStr`` field, at the top level or in a section, and the URLs that
carry a password: :data:`SECRET_URLS`) may be given by the path of a file instead of its value:
``PUBLISHER_SECRET_KEY_FILE``, ``PUBLISHER_DATABASE_URL_FILE``, ``PUBLISHER_FACEBOOK__APP_SECRET_FILE``…
The file's content is the value, less one final newline (what ``echo`` and editors add). The value
then never appears in ``docker inspect`` or a process's environment.

Giving both ``PUBLISHER_X`` (non-blank, from the environment or ``.env``) and ``PUBLISHER_X_FILE``
is an error naming both; a file that cannot be read is an error naming the variable and the path
(never the content).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from publisher.errors import UserError
from publisher.i18n import msg, register

register(
    {
        "settings.file_and_value": (
            "Chỉ đặt một trong hai biến {var} và {file_var}, không đặt cả hai.",
            "Set only one of {var} and {file_var}, not both.",
        ),
        "settings.file_unreadable": (
            "Không đọc được tệp {path} mà {file_var} chỉ tới ({reason}).",
            "Cannot read the file {path} named by {file_var} ({reason}).",
        ),
        "settings.file_not_text": ("không phải văn bản UTF-8", "not UTF-8 text"),
    }
)

#: settings that are plain strings but may hold a password (``user:pass@host``) or a token
SECRET_URLS: tuple[tuple[str, ...], ...] = (
    ("database_url",),
    ("broker_url",),
    ("alerts", "webhook_url"),
)

SUFFIX = "_FILE"


class SecretFileError(UserError):
    """A ``PUBLISHER_…_FILE`` variable that cannot be used (exit 2, like any invalid setting)."""


def _is_secret(info: FieldInfo) -> bool:
    ann = info.annotation
    return ann is SecretStr or SecretStr in get_args(ann)


def secret_paths(settings_cls: type[BaseModel]) -> list[tuple[str, ...]]:
    """Every setting (as a path of field names) that may be given by a ``_FILE`` variable."""
    paths: list[tuple[str, ...]] = []
    for name, info in settings_cls.model_fields.items():
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            paths += [(name, sub) for sub, sinfo in ann.model_fields.items() if _is_secret(sinfo)]
        elif _is_secret(info):
            paths.append((name,))
    fields = settings_cls.model_fields
    paths += [p for p in SECRET_URLS if p not in paths and p[0] in fields]
    # a real setting named like ``<secret>_file`` keeps its meaning
    return [p for p in paths if not (len(p) == 1 and f"{p[0]}_file" in fields)]


def variable(prefix: str, path: tuple[str, ...], delimiter: str = "__") -> str:
    return prefix.upper() + delimiter.join(part.upper() for part in path)


def read_secret_file(file_var: str, path: str) -> str:
    """The file's text less one final newline; :class:`SecretFileError` naming the variable and path."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise SecretFileError(
            msg(
                "settings.file_unreadable", path=path, file_var=file_var, reason=msg("settings.file_not_text")
            )
        ) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise SecretFileError(
            msg("settings.file_unreadable", path=path, file_var=file_var, reason=reason)
        ) from None
    if text.endswith("\r\n"):
        return text[:-2]
    return text.removesuffix("\n")


class SecretFilesSource(PydanticBaseSettingsSource):
    """Values of secret settings from the files their ``PUBLISHER_<NAME>_FILE`` variables name.

    ``sources`` are the environment and ``.env`` sources: their variables are where the ``_FILE``
    variables, and the plain ones they must not be given with, are looked up.
    """

    def __init__(self, settings_cls: type[BaseSettings], *sources: PydanticBaseSettingsSource) -> None:
        super().__init__(settings_cls)
        self._vars: dict[str, str] = {}
        for source in reversed(sources):  # the environment wins over .env, as for every setting
            found = getattr(source, "env_vars", None)
            if isinstance(found, dict):
                self._vars.update({str(k).lower(): str(v) for k, v in found.items() if v is not None})
        if not sources:
            self._vars = {k.lower(): v for k, v in os.environ.items()}

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ builds the whole (nested) mapping

    def __call__(self) -> dict[str, Any]:
        prefix = str(self.config.get("env_prefix") or "")
        delimiter = str(self.config.get("env_nested_delimiter") or "__")
        out: dict[str, Any] = {}
        for path in secret_paths(self.settings_cls):
            var = variable(prefix, path, delimiter)
            file_var = var + SUFFIX
            file_path = self._vars.get(file_var.lower(), "").strip()
            if not file_path:
                continue
            if self._vars.get(var.lower(), "").strip():
                raise SecretFileError(msg("settings.file_and_value", var=var, file_var=file_var))
            value = read_secret_file(file_var, file_path)
            target = out
            for part in path[:-1]:
                target = target.setdefault(part, {})
            target[path[-1]] = value
        return out
