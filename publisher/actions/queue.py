"""``queue``: load schedule files into the store as a known user, and say truthfully what happens
to posts whose time has already passed.

A schedule file is loaded again and again as an officer edits it; a post of it may have gone out
already. The loader (pure) notes "has passed; will go out late as soon as it is approved" for any
time in the past; :func:`queue_notes` replaces that note by what the store knows of each target:
published (nothing is sent again), being published, approved (goes out late now), a draft, held,
or stopped (failed, missed, cancelled: only ``publisher retry`` sends it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from publisher.actions.users import acting_user
from publisher.core.models import PostSpec
from publisher.core.schedule import LoadedSchedule, ScheduleProblem
from publisher.core.states import IN_FLIGHT, NOT_STARTED, State, label
from publisher.errors import NotFound
from publisher.i18n import Msg, msg, register
from publisher.settings import Settings
from publisher.store.repo import QueueReport, spec_hash

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


def queue_posts(
    store: Any,
    settings: Settings,
    specs: Sequence[PostSpec],
    by: str | None,
    source_files: Sequence[str] = (),
) -> QueueReport:
    """Load ``specs`` as the user ``by`` (default ``PUBLISHER_USER``), who must be a known user."""
    actor = acting_user(store, settings, by)
    return store.queue(list(specs), actor.name, source_files=source_files)


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
    targets = {str(t) for t in spec.targets}
    groups: dict[tuple[str, str], list[str]] = {}
    seen: set[str] = set()
    for d in detail["deliveries"]:
        name = f"{d.platform}/{d.name}"
        if name not in targets:
            continue  # no longer a target: the queue report says what happens to it
        seen.add(name)
        groups.setdefault(_category(State(d.state), spec, voids, approved, settings), []).append(name)
    for name in sorted(targets - seen):  # a target added now: a new delivery
        groups.setdefault(_category(None, spec, voids, approved, settings), []).append(name)
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
    st: State | None, spec: PostSpec, voids: bool, approved: bool, settings: Settings
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
        if not settings.require_approval or (approved and not voids):
            return "approved", ""
    return "approval", ""


__all__ = ["queue_notes", "queue_posts"]
