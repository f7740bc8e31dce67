"""The compose form made into a post: written out as a one-post schedule, read by the loader,
reviewed, and saved through the use case ``publisher queue`` saves with."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from fastapi import HTTPException

from publisher.actions.queue import queue_notes, queue_posts, schedule_context
from publisher.actions.review import findings_for
from publisher.core.models import POST_ID_RE, PostSpec, Target, nfc
from publisher.core.people import DEFAULT_UNIT
from publisher.core.review import Finding
from publisher.core.schedule import ScheduleProblem, load_schedule
from publisher.core.story import story_to_json, story_video_placeholder
from publisher.errors import UserError, ValidationFailed
from publisher.i18n import Msg, t
from publisher.store.posts import QueueReport
from publisher.web import uploads
from publisher.web.deps import Viewer, Web
from publisher.web.forms import messages  # noqa: F401  (registers the web.compose.e.* texts)
from publisher.web.forms.fields import (
    DATE_RE,
    FORM_FIELDS,
    PLACES,
    SKIPPED_NOTES,
    TIME_RE,
    ComposeForm,
    Existing,
    _one,
    existing_post,
    slug,
    zone_of,
)


@dataclass
class Built:
    """What the form makes: the post (None while a field is wrong), each message on its field."""

    key: str
    spec: PostSpec | None = None
    unit: str | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    uploads: dict[str, str] = field(default_factory=dict)  # path looked at -> its upload id

    def error(self, fld: str, text: str) -> None:
        if text not in self.errors.setdefault(fld, []):
            self.errors[fld].append(text)

    @property
    def blocked(self) -> bool:
        return any(f.blocks for f in self.findings)

    @property
    def messages(self) -> list[str]:
        return [text for texts in self.errors.values() for text in texts]


def _key(form: ComposeForm, ctx: Web, existing: Existing | None, built: Built) -> str:
    if existing is not None:
        return existing.spec.key
    taken = ctx.store.post_due_times()
    if form.id:
        if not POST_ID_RE.match(form.id):
            built.error("id", t("web.compose.e.bad_id", value=form.id[:120]))
            return "bai"
        if form.id in taken:
            built.error("id", t("web.compose.e.id_taken", key=form.id))
        return form.id
    base = key = slug(form.title)
    n = 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


def _targets(
    form: ComposeForm, viewer: Viewer, ctx: Web, existing: Existing | None, built: Built
) -> list[str]:
    """The accounts chosen; 404 for another unit's; the post's unit in ``built.unit``."""
    every = {f"{a.platform}/{a.name}": a for a in ctx.store.accounts(include_disabled=True)}
    units: set[str] = set()
    chosen: list[str] = []
    for target in form.targets:
        row = every.get(target)
        if row is not None and not viewer.sees(row.unit):
            raise HTTPException(status_code=404)
        if row is None or row.status == "disabled":
            built.error("targets", t("web.compose.e.unknown_target", target=target[:120]))
            continue
        units.add(row.unit or DEFAULT_UNIT)
        chosen.append(target)
    if not form.targets:
        built.error("targets", t("web.compose.e.no_targets"))
    if existing is not None and units - {existing.unit}:
        built.error("targets", t("web.compose.e.other_unit", unit=existing.unit))
    elif len(units) > 1:
        built.error("targets", t("web.compose.e.mixed_units", units=", ".join(sorted(units))))
    built.unit = existing.unit if existing is not None else next(iter(units)) if len(units) == 1 else None
    return chosen


def _upload(viewer: Viewer, ctx: Web, upload_id: str, kind: str, fld: str, built: Built) -> Path | None:
    try:  # only the viewer's own uploads: another user's id is "unknown"
        found = uploads.resolve_upload(ctx.settings, upload_id, owner=viewer.user.id)
    except UserError as exc:
        built.error(fld, str(exc))
        return None
    if found.kind != kind:
        built.error(fld, t(f"web.compose.e.not_{kind}", name=found.name))
        return None
    built.uploads[str(found.path)] = upload_id
    return Path(found.path)


def _media(
    form: ComposeForm, viewer: Viewer, ctx: Web, existing: Existing | None, built: Built
) -> tuple[list[tuple[Path, str]], Path | None]:
    """The photos in order (each with its story caption) and the clip: kept ones, then uploads."""
    photos: list[tuple[Path, str]] = []
    if existing is not None:
        listed = existing.photos
        photos += [(listed[i], form.captions.get(i, "")) for i in form.keep_photos if i < len(listed)]
    for upload_id in form.photos:
        path = _upload(viewer, ctx, upload_id, "photo", "photos", built)
        if path is not None:
            photos.append((path, ""))
    video = None
    if form.video:
        video = _upload(viewer, ctx, form.video, "video", "video", built)
    elif existing is not None and form.keep_video:
        video = existing.video
    return photos, video


def _story_block(
    form: ComposeForm, photos: list[tuple[Path, str]], existing: Existing | None
) -> dict[str, Any]:
    """The ``story:`` block: the photos in order, the title; an edit keeps the story's other settings."""
    block: dict[str, Any] = {}
    old = existing.spec.story if existing is not None else None
    if old is not None and existing is not None:
        block = {
            k: v for k, v in story_to_json(old).items() if v is not None and k not in ("photos", "title")
        }
        day = existing.spec.due_at.astimezone(ZoneInfo(existing.spec.timezone)).date().isoformat()
        if block.get("date") == day:  # the post's day, not one written in: follows the post
            block.pop("date")
    if form.story_title:
        block["title"] = form.story_title
    block["photos"] = [{"file": str(p), **({"caption": c} if c else {})} for p, c in photos]
    return block


def _record(
    form: ComposeForm, key: str, targets: list[str], photos: list[tuple[Path, str]], video: Path | None,
    existing: Existing | None, built: Built,
) -> dict[str, Any]:  # fmt: skip
    """The form as one post of a schedule file (a field with a form error is left out)."""
    record: dict[str, Any] = {"id": key}
    for name, value in (("title", form.title), ("text", form.text)):
        if value.strip():
            record[name] = value
        else:
            built.error(name, t(f"web.compose.e.{name}"))
    when_ok = True
    for name, value, pattern in (("date", form.date, DATE_RE), ("time", form.time, TIME_RE)):
        if not value:
            built.error("date", t(f"web.compose.e.{name}"))
            when_ok = False
        elif not pattern.match(value):
            built.error("date", t(f"web.compose.e.bad_{name}", value=value[:40]))
            when_ok = False
    if when_ok:
        record["at"] = f"{form.date} {form.time}"
    if targets:
        record["targets"] = targets
    if form.story and not photos:
        built.error("story", t("web.compose.e.story_photos"))
    elif form.story and video is not None:
        built.error("story", t("web.compose.e.story_and_video"))
    elif form.story:
        record["story"] = _story_block(form, photos, existing)
    elif photos:
        record["images"] = [str(p) for p, _c in photos]
    if video is not None and not form.story:
        record["video"] = str(video)
    if form.grace:
        try:
            hours = float(form.grace.replace(",", "."))
            if not math.isfinite(hours) or hours < 0:
                raise ValueError(form.grace)
            record["grace"] = f"{hours:g}h"
        except ValueError:
            built.error("grace", t("web.compose.e.grace", value=form.grace[:40]))
    for name, value in (("link", form.link), ("campaign", form.campaign)):
        if value:
            record[name] = value
    record["draft"] = "true" if form.draft else "false"
    return record


def _say(problem: ScheduleProblem) -> str:
    message = problem.message
    if isinstance(message, Msg) and message.key == "sched.past":
        return t("web.compose.e.past", **message.params)
    return str(message)


def _place(problem_field: str | None) -> str:
    name = problem_field or ""
    if name.startswith("story.photos"):
        return "photos"
    head = re.split(r"[ .\[(]", name, maxsplit=1)[0]
    if head == "story":
        return "story_title" if name == "story.title" else "story"
    return PLACES.get(head, head if head in FORM_FIELDS else "form")


def build(
    form: ComposeForm, viewer: Viewer, ctx: Web, existing: Existing | None = None, review: bool = True
) -> Built:
    """The post ``form`` describes, checked as ``publisher queue`` checks a schedule file."""
    built = Built("")
    built.key = _key(form, ctx, existing, built)
    targets = _targets(form, viewer, ctx, existing, built)
    photos, video = _media(form, viewer, ctx, existing, built)
    record = _record(form, built.key, targets, photos, video, existing, built)
    zone = zone_of(existing, ctx)
    document = yaml.safe_dump(
        {"timezone": zone, "posts": [record]}, allow_unicode=True, sort_keys=False, width=1_000_000
    )
    source = existing.spec.source_file if existing is not None else None
    folder = Path(source).parent if source else Path(ctx.settings.data_dir) / "media" / built.key
    roots = {Path(p).parent for p in built.uploads} | {Path(ctx.settings.data_dir) / "media"}
    if existing is not None:
        roots |= {Path(p).parent for p in existing.spec.media_files()}
    base = schedule_context(ctx.store, ctx.settings)
    sctx = dataclasses.replace(base, limits={}, media_roots=(*base.media_roots, *sorted(roots)))
    wrong = set(built.errors)  # a field the form already refused: the loader's word on it is noise
    try:
        loaded = load_schedule(folder / "compose.yaml", sctx, text=document)
    except ValidationFailed as exc:
        for problem in exc.problems:
            place = _place(getattr(problem, "field", None))
            if getattr(problem, "severity", "error") == "error" and place not in wrong:
                built.error(place, _say(problem))
        return built
    if built.errors:
        return built
    spec = loaded.posts[0]
    for note in queue_notes(ctx.store, ctx.settings, [loaded]):
        if not (isinstance(note.message, Msg) and note.message.key in SKIPPED_NOTES):
            built.notes.setdefault(_place(note.field), []).append(_say(note))
    if existing is not None:  # what the form does not show stays as it was
        kept = {k: v for k, v in existing.spec.options.items() if k != "story"}
        spec = dataclasses.replace(
            spec,
            options={**kept, **spec.options},
            author=existing.spec.author,
            source_file=existing.spec.source_file,
            source_line=existing.spec.source_line,
        )
    else:
        spec = dataclasses.replace(spec, source_file=None, source_line=None)
    built.spec = spec
    if review:
        built.findings = findings_for(spec, ctx.settings)
    return built


def quick_spec(
    form: ComposeForm, viewer: Viewer, ctx: Web, existing: Existing | None
) -> tuple[PostSpec, Built]:
    """The post as far as it is typed, for the live counters and the review (nothing else checked)."""
    built = Built(existing.spec.key if existing is not None else slug(form.title))
    targets = _targets(form, viewer, ctx, existing, built)
    photos, video = _media(form, viewer, ctx, existing, built)
    images = tuple(p for p, _c in photos)
    if form.story and images:
        images, video = (), story_video_placeholder(Path(ctx.settings.data_dir), built.key)
    spec = PostSpec(
        key=built.key,
        title=nfc(form.title.strip()),
        text=nfc(form.text),
        due_at=datetime.now(UTC),
        timezone=zone_of(existing, ctx),
        targets=tuple(Target.parse(x) for x in targets),
        images=images,
        video=video,
        link=form.link or None,
    )
    return spec, built


def draft_spec(
    form: Mapping[str, Any], viewer: Viewer, ctx: Web, key: str | None = None
) -> tuple[PostSpec | None, list[str]]:
    """The post the compose form describes (uploads where they are), or None with the messages.

    ``key`` names the post being edited (else the form's hidden ``post`` field; else a new post).
    """
    key = key or _one(form, "post").strip() or None
    existing = existing_post(viewer, ctx, key) if key else None
    built = build(ComposeForm.read(form), viewer, ctx, existing, review=False)
    return built.spec, built.messages


def _moved(spec: PostSpec, moved: Mapping[str, str]) -> PostSpec:
    images = tuple(Path(moved.get(str(p), str(p))) for p in spec.images)
    video = Path(moved.get(str(spec.video), str(spec.video))) if spec.video is not None else None
    options = dict(spec.options)
    story = options.get("story")
    if isinstance(story, dict):
        photos = [
            {**p, "file": moved.get(str(p.get("file")), p.get("file"))} for p in story.get("photos") or []
        ]
        options["story"] = {**story, "photos": photos}
    return dataclasses.replace(spec, images=images, video=video, options=options)


def save(built: Built, viewer: Viewer, ctx: Web, new: bool) -> QueueReport:
    """Queue the post as ``publisher queue`` does, as the signed-in user, its uploads moved in first."""
    spec = built.spec
    if spec is None:
        raise ValueError("nothing to save")
    if new and spec.key in ctx.store.post_due_times():  # taken since the form was checked
        raise UserError(t("web.compose.e.id_taken", key=spec.key))
    moved = {
        path: str(uploads.adopt_upload(ctx.settings, upload_id, spec.key, owner=viewer.user.id))
        for path, upload_id in built.uploads.items()
    }
    return queue_posts(ctx.store, ctx.settings, [_moved(spec, moved)], viewer.user.name, unit=built.unit)
