"""The contract every platform adapter keeps.

An adapter is built for one account (``Credentials``) with its settings section and an HTTP
session, and answers with a :class:`Result` instead of raising for anything the platform says.
Configuration errors and bugs raise.

- ``check(post) -> list[Problem]``: pure, from the adapter's declared limits (class data).
- ``publish(delivery, checkpoint) -> Result``: create the post. Whatever the platform returns that
  identifies it (post id, upload session URI, video id, Zalo article token) is passed to
  ``checkpoint({...})`` **at once**; the caller commits it before the adapter goes on.
- ``poll(delivery, resume_state, checkpoint) -> Result``: continue a slow publish (``pending``).
- ``reconcile(delivery) -> Result``: the outcome of an earlier attempt is unknown. Look the post
  up (saved ids first, then recent posts matched by text hash and time window) and answer
  ``published`` (found), ``absent`` (certainly not there: safe to send again) or
  ``unknown_outcome`` (could not tell yet: ask again later, never send).
- ``refresh(credentials) -> Credentials`` (raises :class:`AuthExpired` when the platform refuses).
- ``fetch_engagement(remote_ids) -> dict[remote_id, Metrics]``.
- ``follower_count() -> int | None``: followers of the account, ``None`` when not reported
  (``reports_followers`` says whether the platform reports them at all: no call is made otherwise).

Platform facts each adapter declares (class data, read by the publisher, never restated):

- ``handoff``: the :class:`Handoff` window in which the platform's own scheduler may hold a post
  (``None``: the worker publishes at the due time);
- ``video_preset(delivery, upright)``: the media preset a post's clip is prepared with and published
  as (Reel or feed video, Short or video), decided here once for media preparation and publishing;
- ``refresh_codes``: refusals that one forced token refresh may cure;
- ``section(settings)``: which part of the settings the adapter is given.

Every adapter is built the same way (:func:`publisher.platforms.registry.build_adapter`):
``cls(credentials, cls.section(settings), http, **kw)`` (``kw``: :class:`AdapterOptions`).

The publish path's ``Result`` outcomes:
published (remote id, URL) / pending (resume state) / rate_limited (retry_after, app or account
scope) / auth_expired / rejected (permanent, platform code, Vietnamese reason) / transient
(nothing was created, safe to retry) / unknown_outcome (something may have been created).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar, Literal, Protocol, TypedDict, Unpack

from publisher.core.credentials import Credentials
from publisher.core.limits import Problem, check_limits
from publisher.core.models import Delivery, Platform, PostSpec
from publisher.errors import PublisherError
from publisher.i18n import Msg

__all__ = [
    "EARLY_TOLERANCE",
    "Adapter",
    "AdapterOptions",
    "AuthExpired",
    "Checkpoint",
    "Credentials",
    "Handoff",
    "Metrics",
    "Outcome",
    "Problem",
    "QuotaCounter",
    "Result",
    "no_checkpoint",
    "timing",
]

#: how early a "publish now" call may come before ``due_at`` (the dispatcher ticks every few seconds)
EARLY_TOLERANCE = timedelta(seconds=60)


class Outcome(StrEnum):
    PUBLISHED = "published"
    HANDED_OFF = "handed_off"
    PENDING = "pending"
    RATE_LIMITED = "rate_limited"
    AUTH_EXPIRED = "auth_expired"
    REJECTED = "rejected"
    TRANSIENT = "transient"
    UNKNOWN_OUTCOME = "unknown_outcome"
    ABSENT = "absent"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    remote_id: str | None = None
    url: str | None = None
    resume_state: dict[str, Any] | None = None
    retry_after: float | None = None
    scope: Literal["app", "account"] | None = None
    code: str | None = None
    reason: Msg | str | None = None
    poll_after: float | None = None
    postpone_until: datetime | None = None

    @classmethod
    def published(cls, remote_id: str, url: str | None = None) -> Result:
        return cls(Outcome.PUBLISHED, remote_id=remote_id, url=url)

    @classmethod
    def handed_off(cls, remote_id: str, url: str | None = None) -> Result:
        """The platform holds the post and will publish it at its scheduled time."""
        return cls(Outcome.HANDED_OFF, remote_id=remote_id, url=url)

    @classmethod
    def pending(cls, resume_state: dict[str, Any], poll_after: float = 10.0) -> Result:
        return cls(Outcome.PENDING, resume_state=resume_state, poll_after=poll_after)

    @classmethod
    def rate_limited(
        cls,
        retry_after: float | None,
        scope: Literal["app", "account"] = "account",
        code: str | None = None,
        reason: Msg | str | None = None,
        postpone_until: datetime | None = None,
    ) -> Result:
        return cls(
            Outcome.RATE_LIMITED,
            retry_after=retry_after,
            scope=scope,
            code=code,
            reason=reason,
            postpone_until=postpone_until,
        )

    @classmethod
    def auth_expired(cls, code: str | None = None, reason: Msg | str | None = None) -> Result:
        return cls(Outcome.AUTH_EXPIRED, code=code, reason=reason)

    @classmethod
    def rejected(cls, code: str | None, reason: Msg | str) -> Result:
        return cls(Outcome.REJECTED, code=code, reason=reason)

    @classmethod
    def transient(
        cls, code: str | None = None, reason: Msg | str | None = None, retry_after: float | None = None
    ) -> Result:
        return cls(Outcome.TRANSIENT, code=code, reason=reason, retry_after=retry_after)

    @classmethod
    def unknown(cls, code: str | None = None, reason: Msg | str | None = None) -> Result:
        return cls(Outcome.UNKNOWN_OUTCOME, code=code, reason=reason)

    @classmethod
    def absent(cls, reason: Msg | str | None = None) -> Result:
        return cls(Outcome.ABSENT, reason=reason)


@dataclass(frozen=True)
class Metrics:
    """Normalised engagement figures; ``None`` where the platform does not report one."""

    views: int | None = None
    reactions: int | None = None
    comments: int | None = None
    shares: int | None = None
    raw: dict[str, Any] = field(default_factory=dict)


class AuthExpired(PublisherError):
    """The platform refused the credentials or the refresh token; the account needs re-authorisation."""


class Checkpoint(Protocol):
    def __call__(self, data: dict[str, Any]) -> None: ...


def no_checkpoint(data: dict[str, Any]) -> None:
    """For dry runs and tests that do not care about resume state."""


@dataclass(frozen=True)
class Handoff:
    """When a platform's own scheduler may hold a post: from ``min_lead`` to ``lead`` ahead of its
    time (``video_lead`` for a clip, so that upload and processing finish early). The dispatcher
    claims such a delivery that far ahead and the adapter answers ``handed_off``."""

    min_lead: timedelta
    lead: timedelta
    video_lead: timedelta

    def admits(self, lead: timedelta, *, video: bool) -> bool:
        """Whether a post due ``lead`` from now may be handed over now: from a minute short of
        ``min_lead`` (a claim a little late) to its lead plus :data:`EARLY_TOLERANCE`."""
        most = self.video_lead if video else self.lead
        return self.min_lead - timedelta(minutes=1) <= lead <= most + EARLY_TOLERANCE


def timing(lead: timedelta, window: tuple[timedelta, timedelta | None] | None) -> tuple[str, float]:
    """What a publish call made ``lead`` before the due time does: ``"now"`` (at most
    :data:`EARLY_TOLERANCE` early), ``"native"`` (the platform's scheduler takes posts this far
    ahead: ``window`` is its (shortest, longest or None) lead, None when it has none or it is
    switched off), else ``"wait"`` that many seconds (until due, or until within the window)."""
    if lead <= EARLY_TOLERANCE:
        return "now", 0.0
    if window is not None:
        shortest, longest = window
        if longest is not None and lead > longest:
            return "wait", (lead - longest).total_seconds()
        if lead >= shortest:
            return "native", 0.0
    return "wait", lead.total_seconds()


class QuotaCounter(Protocol):
    """Units of an API budget spent per project and day, shared by every process that spends them
    (:class:`publisher.store.counters.DbQuotaCounter` in production)."""

    def add(self, project: str, day: date, units: int) -> int:
        """Atomically add ``units`` (may be negative) and return the new total for that day."""
        ...

    def used(self, project: str, day: date) -> int: ...


class AdapterOptions(TypedDict, total=False):
    """What the builder of an adapter supplies besides credentials, settings and session."""

    #: the account's name here (the sandbox's folder)
    account: str
    #: the shared counter of a platform that spends a daily API budget (YouTube); None or left
    #: out: a book of the adapter's own, for dry runs and tests
    quota: QuotaCounter | None
    #: the program that measures clips (``settings.media.ffprobe``)
    ffprobe: str


class Adapter:
    """Base class. Subclasses declare their platform facts as class data."""

    platform: ClassVar[Platform]
    #: maximum lengths, counted as the platform counts them
    title_max: ClassVar[int | None] = None
    text_max: ClassVar[int | None] = None
    text_counts_bytes: ClassVar[bool] = False
    max_images: ClassVar[int] = 0
    supports_video: ClassVar[bool] = False
    #: when the platform's own scheduler may hold a post (None: published at the due time only)
    handoff: ClassVar[Handoff | None] = None
    #: whether :meth:`follower_count` asks the platform (False: it answers None without a call)
    reports_followers: ClassVar[bool] = False
    #: platform codes (as in ``Result.code``) of a refused access token that one forced refresh may
    #: cure: the call is then made once more (see :func:`publisher.platforms.tokens.cured_by_refresh`)
    refresh_codes: ClassVar[frozenset[str]] = frozenset()

    def __init__(
        self, credentials: Credentials, settings: Any = None, http: Any = None, **kw: Unpack[AdapterOptions]
    ) -> None:
        """``settings`` is :meth:`section` of the settings, ``http`` a ``requests.Session``."""
        self.credentials = credentials
        self.settings = settings
        self.http = http
        self.account = kw.get("account", "")
        self.quota_counter = kw.get("quota")
        self.ffprobe = kw.get("ffprobe", "ffprobe")
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    @classmethod
    def section(cls, settings: Any) -> Any:
        """The part of the whole settings this adapter is built with: its platform's section."""
        return getattr(settings, cls.platform.value, None)

    # -- pure -------------------------------------------------------------------------------
    @classmethod
    def check(cls, post: PostSpec) -> list[Problem]:
        return check_limits(post, cls.limits())

    @classmethod
    def limits(cls) -> dict[str, Any]:
        return {
            "platform": cls.platform.value,
            "title_max": cls.title_max,
            "text_max": cls.text_max,
            "text_counts_bytes": cls.text_counts_bytes,
            "max_images": cls.max_images,
            "supports_video": cls.supports_video,
        }

    @classmethod
    def video_preset(cls, delivery: Delivery, upright: bool) -> str | None:
        """The media preset (:mod:`assets.presets`) the post's clip is prepared with and published
        as here, from its orientation (``upright``: taller than wide) and the post's options; None:
        the platform is sent the clip as it is."""
        return None

    # -- network ----------------------------------------------------------------------------
    def publish(self, delivery: Delivery, checkpoint: Checkpoint = no_checkpoint) -> Result:
        raise NotImplementedError

    def poll(
        self, delivery: Delivery, resume_state: dict[str, Any], checkpoint: Checkpoint = no_checkpoint
    ) -> Result:
        raise NotImplementedError

    def reconcile(self, delivery: Delivery) -> Result:
        raise NotImplementedError

    def refresh(self, credentials: Credentials) -> Credentials:
        return credentials

    def fetch_engagement(
        self, remote_ids: list[str], hints: Mapping[str, Mapping[str, Any]] | None = None
    ) -> dict[str, Metrics]:
        """Figures per remote id. ``hints``: what the publish flow knew of each object (its ``kind``,
        the post's media), for a platform that asks per object kind (Facebook); others ignore it."""
        return {}

    def follower_count(self) -> int | None:
        """Followers (subscribers) of the account now; None when the platform does not say."""
        return None
