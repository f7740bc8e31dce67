"""The small error hierarchy. User mistakes exit 2, runtime failures exit 1."""

from __future__ import annotations

from typing import Any

from publisher.i18n import Msg


class PublisherError(Exception):
    """Base of every error this package raises on purpose."""

    exit_code = 1

    def __init__(self, message: Msg | str, **details: Any) -> None:
        self.message = message
        self.details = details
        super().__init__(str(message))

    def __str__(self) -> str:
        return str(self.message)


class UserError(PublisherError):
    """Bad input from the officer: a file, an option, an id. Exit code 2."""

    exit_code = 2


class ValidationFailed(UserError):
    """A schedule file or post failed validation; ``problems`` lists every finding."""

    def __init__(self, message: Msg | str, problems: list[Any]) -> None:
        super().__init__(message)
        self.problems = problems


class NotFound(UserError):
    """An id that names nothing."""


class IllegalTransition(PublisherError):
    """A delivery was asked to move between two states the table does not connect."""


class ApprovalRefused(UserError):
    """An approval that the rules do not allow (self-approval, blocking findings, drafts)."""


class ConfigError(PublisherError):
    """A setting is missing or wrong."""
