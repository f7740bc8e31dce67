"""``queue``: load schedule files into the store as a known user, and say truthfully what happens
to posts whose time has already passed.

A schedule file is loaded again and again as an officer edits it; a post of it may have gone out
already. The loader (pure) notes "has passed; will go out late as soon as it is approved" for any
time in the past; :func:`queue_notes` replaces that note by what the store knows of each target:
published (nothing is sent again), being published, approved (goes out late now), a draft, held,
or stopped (failed, missed, cancelled: only ``publisher retry`` sends it).

The rules of reading the files live here too: every problem of every file is collected before
anything fails, a post id may not repeat across the files loaded together, and every post gets the
pre-publish review (a post the review blocks is queued, but cannot be approved; ``--check`` fails).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from publisher.actions.review import findings_for, media_check
from publisher.actions.users import acting_user
from publisher.core.models import PostSpec
from publisher.core.people import REQUIRE_APPROVAL, validate_unit
from publisher.core.review import Finding
from publisher.core.schedule import Context, LoadedSchedule, ScheduleProblem, load_schedule
from publisher.core.states import IN_FLIGHT, NOT_STARTED, State, label
from publisher.errors import NotFound, UserError, ValidationFailed
from publisher.i18n import Msg, msg, register
from publisher.platforms.registry import ADAPTERS
from publisher.settings import Settings
from publisher.store.digest import spec_hash
from publisher.store.posts import QueueReport

register(
    {
        "queue.late_published": (
            "Thời điểm {when} đã qua; bài đã được đăng trên {targets}: nạp lại không đăng lại.",
            "{when} has passed; the post was already published on {targets}: loading it again sends nothing.",
        ),
        "queue.late_in_flight": (
            "Thời điểm {when} đã qua; bài đang được đăng trên {targets} ({state}).",
            "{when} has passed; the post is being published on {targets} ({state}).",
        ),
        "queue.late_approved": (
            "Thời điểm {when} đã qua; bài đã được duyệt và sẽ được đăng muộn ngay trên {targets} "
            "(còn trong {grace} cho phép).",
            "{when} has passed; the post is approved and goes out late right away on {targets} "
            "(within the {grace} window).",
        ),
        "queue.late_draft": (
            "Thời điểm {when} đã qua; bài là bản nháp nên chưa đăng trên {targets}: bỏ “draft” và duyệt "
            "trong {grace} cho phép thì bài mới được đăng muộn.",
            "{when} has passed; the post is a draft and does not go out on {targets}: remove “draft” and "
            "approve it within the {grace} window for it to go out late.",
        ),
        "queue.late_held": (
            "Thời điểm {when} đã qua; trên {targets} bài đang “{state}” và sẽ được đăng muộn khi việc đó được "
            "giải quyết (nếu còn trong {grace} cho phép).",
            "{when} has passed; on {targets} the post is {state} and goes out late once that is resolved "
            "(if still within the {grace} window).",
        ),
        "queue.late_past": (
            "Thời điểm {when} đã qua, quá cả {grace} cho phép đăng muộn: bài không còn được đăng trên {targets}.",
            "{when} has passed, beyond the {grace} late-publish window too: the post no longer goes out on "
            "{targets}.",
        ),
        "queue.late_stopped": (
            "Thời điểm {when} đã qua; trên {targets} bài đang “{state}” nên sẽ không tự đăng; "
            "dùng “publisher retry {key}” nếu muốn đăng.",
            "{when} has passed; on {targets} the post is {state} and will not go out by itself; "
            "use “publisher retry {key}” to send it.",
        ),
    }
)

LATE = "sched.late"
LATE_KEYS = (LATE, "sched.past_known")


@dataclass(frozen=True)
class PostReview:
    """The pre-publish review of one post: each finding with the line of the field it is about."""

    file: str
    key: str
    findings: tuple[tuple[int | None, Finding], ...]

    @property
    def blocks(self) -> bool:
        return any(f.blocks for _, f in self.findings)


@dataclass
class Schedules:
    """Schedule files read and checked, ready to be queued."""

    loaded: list[LoadedSchedule]
    notes: list[ScheduleProblem]  # the loader's notes, made true to what the store knows
    reviews: list[PostReview]  # every post, in file order

    @property
    def blocked(self) -> dict[str, int]:
        """Per file, how many of its posts the review blocks."""
        out: dict[str, int] = {}
        for r in self.reviews:
            if r.blocks:
                out[r.file] = out.get(r.file, 0) + 1
        return out

    def refuse_blocked(self) -> None:
        """A check (``queue --check``) fails while a post cannot be approved as it stands."""
        blocked = self.blocked
        if blocked:
            raise UserError(msg("review.check_blocked", file=", ".join(blocked), n=sum(blocked.values())))


@dataclass
class QueueResult:
    report: QueueReport
    awaiting_approval: int  # deliveries of the whole store that now wait for an approver


def schedule_context(store: Any, settings: Settings, check_accounts: bool = True) -> Context:
    """What validating a schedule file needs to know of the world: accounts, limits, media, times."""
    return Context(
        now=datetime.now(UTC),
        known_targets=store.known_targets() if check_accounts else None,
        media_roots=tuple(settings.media_roots),
        grace_hours=settings.grace_hours,
        limits={p.value: cls.limits() for p, cls in ADAPTERS.items()},
        extra_checks=(media_check(settings),),  # every photo opened, every clip probed
        max_bytes=settings.schedule_max_bytes,
        known_due=store.post_due_times(),
    )


def load_files(files: Sequence[str], ctx: Context) -> list[LoadedSchedule]:
    """Load every file; collect every problem of every file before failing.

    A post id names one post: the same id in two files loaded together is refused.
    """
    loaded: list[LoadedSchedule] = []
    problems: list[ScheduleProblem] = []
    for f in files:
        try:
            loaded.append(load_schedule(Path(f), ctx))
        except ValidationFailed as exc:
            problems.extend(exc.problems)
    if problems:
        n = sum(1 for p in problems if getattr(p, "severity", "error") == "error")
        raise ValidationFailed(msg("sched.failed", n=n), problems)
    first: dict[str, str] = {}
    dupes: list[ScheduleProblem] = []
    for ls in loaded:
        for spec in ls.posts:
            if spec.key in first and first[spec.key] != ls.file:
                again = msg("sched.duplicate_id", value=spec.key, line=first[spec.key])
                dupes.append(ScheduleProblem(ls.file, spec.source_line, spec.key, "id", again))
            first[spec.key] = ls.file
    if dupes:
        raise ValidationFailed(msg("sched.failed", n=len(dupes)), dupes)
    return loaded


def review_posts(settings: Settings, loaded: Sequence[LoadedSchedule]) -> list[PostReview]:
    """The pre-publish review of every post, each finding placed on the line of its field."""
    out: list[PostReview] = []
    for ls in loaded:
        for spec in ls.posts:
            lines = ls.lines.get(spec.key, {})
            placed = tuple(
                (lines.get(f"{f.field}.{f.position}", lines.get(f.field, spec.source_line)), f)
                for f in findings_for(spec, settings)
            )
            out.append(PostReview(ls.file, spec.key, placed))
    return out


def read_schedules(store: Any, settings: Settings, files: Sequence[str]) -> Schedules:
    """Load, validate and review ``files`` without writing anything."""
    loaded = load_files(files, schedule_context(store, settings))
    return Schedules(loaded, queue_notes(store, settings, loaded), review_posts(settings, loaded))


def queue_schedules(
    store: Any, settings: Settings, schedules: Schedules, by: str | None, unit: str | None = None
) -> QueueResult:
    """Queue every post of ``schedules`` as the user ``by`` into ``unit`` (see :func:`queue_posts`)."""
    specs = [spec for ls in schedules.loaded for spec in ls.posts]
    files = [str(Path(ls.file).resolve()) for ls in schedules.loaded]
    report = queue_posts(store, settings, specs, by, source_files=files, unit=unit)
    return QueueResult(report, len(store.deliveries(states=[State.AWAITING_APPROVAL.value])))


def queue_posts(
    store: Any,
    settings: Settings,
    specs: Sequence[PostSpec],
    by: str | None,
    source_files: Sequence[str] = (),
    unit: str | None = None,
) -> QueueReport:
    """Load ``specs`` as the user ``by`` (default ``PUBLISHER_USER``), who must be a known user.

    New posts belong to ``unit`` (default: the default unit); a stored post keeps its unit. A
    target that is an account of another unit than its post's is refused, naming both.
    """
    actor = acting_user(store, settings, by)
    return store.queue(list(specs), actor.name, source_files=source_files, unit=validate_unit(unit))


def queue_notes(store: Any, settings: Settings, loaded: Sequence[LoadedSchedule]) -> list[ScheduleProblem]:
    """The loader's notes, with each "will go out late" made true to the post's deliveries."""
    out: list[ScheduleProblem] = []
    for ls in loaded:
        specs = {spec.key: spec for spec in ls.posts}
        for note in ls.notes:
            message = note.message
            spec = specs.get(note.post_id or "")
            if isinstance(message, Msg) and message.key in LATE_KEYS and spec is not None:
                out += _late(store, settings, note, message, spec)
            else:
                out.append(note)
    return out


def _late(
    store: Any, settings: Settings, note: ScheduleProblem, late: Msg, spec: PostSpec
) -> list[ScheduleProblem]:
    try:
        detail = store.post_detail(spec.key)
    except NotFound:
        return [note]  # a new post: it waits for approval, as the loader says
    post = detail["post"]
    voids = spec_hash(spec) != post.content_hash or spec.author != post.author
    approved = post.approved_by is not None and post.approved_hash == post.content_hash and not voids
    with store.db.read() as conn:  # the stored office policy, never this process's setting
        required = store.policy_in(conn, REQUIRE_APPROVAL)
    targets = {str(t) for t in spec.targets}
    groups: dict[tuple[str, str], list[str]] = {}
    seen: set[str] = set()
    for d in detail["deliveries"]:
        name = f"{d.platform}/{d.name}"
        if name not in targets:
            continue  # no longer a target: the queue report says what happens to it
        seen.add(name)
        groups.setdefault(_category(State(d.state), spec, voids, approved, required), []).append(name)
    for name in sorted(targets - seen):  # a target added now: a new delivery
        groups.setdefault(_category(None, spec, voids, approved, required), []).append(name)
    params = dict(late.params)
    grace = spec.grace_hours if spec.grace_hours is not None else settings.grace_hours
    if spec.due_at + timedelta(hours=grace) < datetime.now(UTC):  # past its window: it never goes out
        waiting = [(k, st) for k, st in groups if k in ("approval", "approved", "draft", "held")]
        for key in waiting:
            groups.setdefault(("past", ""), []).extend(groups.pop(key))
    out: list[ScheduleProblem] = []
    for (kind, state), names in groups.items():
        if kind == "approval":
            out.append(note)
            continue
        text = msg(
            f"queue.late_{kind}",
            targets=", ".join(sorted(names)),
            state=label(state) if state else "",
            key=spec.key,
            **params,
        )
        out.append(ScheduleProblem(note.file, note.line, note.post_id, note.field, text, "note"))
    return out


def _category(
    st: State | None, spec: PostSpec, voids: bool, approved: bool, required: bool
) -> tuple[str, str]:
    """What happens to one target of a late post once it is loaded: (kind of note, state shown)."""
    if st == State.PUBLISHED:
        return "published", ""
    if st is not None and st in IN_FLIGHT:
        return "in_flight", st.value
    if st is not None and (st == State.CANCELLED or (st in (State.FAILED, State.MISSED) and not voids)):
        return "stopped", st.value
    if st is None or voids or st in NOT_STARTED:
        if spec.draft:
            return "draft", ""
        if st is not None and st in (State.PAUSED, State.NEEDS_REAUTH, State.RETRY_WAIT) and not voids:
            return "held", st.value
        if not required or (approved and not voids):
            return "approved", ""
    return "approval", ""


__all__ = [
    "PostReview",
    "QueueResult",
    "Schedules",
    "load_files",
    "queue_notes",
    "queue_posts",
    "queue_schedules",
    "read_schedules",
    "review_posts",
    "schedule_context",
]
