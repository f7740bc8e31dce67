"""A scripted stand-in adapter for tests and demos (no network).

Each method answers from its own script, in order; the last entry repeats. An entry may be a
:class:`Result`, an exception (raised), or a callable taking the call's arguments. Every call is
recorded in ``calls`` so tests can assert what the worker asked for::

    fake = FakeAdapter(publish=[Result.unknown("timeout")], reconcile=[Result.absent()])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Unpack

from publisher.core.models import Delivery, Platform
from publisher.platforms.base import (
    Adapter,
    AdapterOptions,
    AuthExpired,
    Checkpoint,
    Credentials,
    Metrics,
    Result,
    no_checkpoint,
)

Script = Iterable[Result | BaseException | Callable[..., Any]]


class FakeAdapter(Adapter):
    platform: ClassVar[Platform] = Platform.SANDBOX
    title_max: ClassVar[int | None] = 200
    text_max: ClassVar[int | None] = 5000
    max_images: ClassVar[int] = 10
    supports_video: ClassVar[bool] = True

    def __init__(
        self,
        credentials: Credentials | None = None,
        settings: Any = None,
        http: Any = None,
        *,
        publish: Script = (),
        poll: Script = (),
        reconcile: Script = (),
        refresh: Script = (),
        checkpoints: Iterable[dict[str, Any]] = (),
        engagement: Mapping[str, Metrics] | None = None,
        **options: Unpack[AdapterOptions],
    ) -> None:
        super().__init__(credentials or Credentials(access_token="fake"), settings, http, **options)
        self.scripts: dict[str, list[Any]] = {
            "publish": list(publish) or [lambda delivery: Result.published(f"fake-{delivery.id}")],
            "poll": list(poll) or [lambda delivery, state: Result.published(f"fake-{delivery.id}")],
            "reconcile": list(reconcile) or [Result.absent()],
            "refresh": list(refresh),
        }
        self.checkpoints = list(checkpoints)
        self.engagement = dict(engagement or {})
        self.calls: list[tuple[str, Any]] = []

    def _next(self, name: str, *args: Any) -> Any:
        script = self.scripts[name]
        entry = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(entry, BaseException):
            raise entry
        if callable(entry) and not isinstance(entry, Result):
            return entry(*args)
        return entry

    def publish(self, delivery: Delivery, checkpoint: Checkpoint = no_checkpoint) -> Result:
        self.calls.append(("publish", delivery.id))
        for data in self.checkpoints:
            checkpoint(dict(data))
        result: Result = self._next("publish", delivery)
        if result.resume_state:
            checkpoint(dict(result.resume_state))
        return result

    def poll(
        self, delivery: Delivery, resume_state: dict[str, Any], checkpoint: Checkpoint = no_checkpoint
    ) -> Result:
        self.calls.append(("poll", delivery.id))
        result: Result = self._next("poll", delivery, resume_state)
        return result

    def reconcile(self, delivery: Delivery) -> Result:
        self.calls.append(("reconcile", delivery.id))
        result: Result = self._next("reconcile", delivery)
        return result

    def refresh(self, credentials: Credentials) -> Credentials:
        self.calls.append(("refresh", credentials.remote_account_id))
        if not self.scripts["refresh"]:
            if not credentials.refresh_token:
                raise AuthExpired("no refresh token")
            return Credentials(
                access_token=credentials.access_token + "+",
                refresh_token=credentials.refresh_token,
                remote_account_id=credentials.remote_account_id,
                extra=dict(credentials.extra),
            )
        result: Credentials = self._next("refresh", credentials)
        return result

    def fetch_engagement(
        self, remote_ids: list[str], hints: Mapping[str, Mapping[str, Any]] | None = None
    ) -> dict[str, Metrics]:
        self.calls.append(("fetch_engagement", tuple(remote_ids)))
        return {rid: self.engagement[rid] for rid in remote_ids if rid in self.engagement}
