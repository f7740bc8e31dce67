"""Records read from a schedule file → validated :class:`PostSpec` values, or every problem at once."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from publisher.core.limits import check_limits
from publisher.core.models import POST_ID_RE, PostSpec, Target, nfc
from publisher.core.schedule.base import (
    DEFAULT_FIELDS,
    DEFAULT_TZ,
    FIELD_MAX_CHARS,
    MAX_GRACE_HOURS,
    POST_FIELDS,
    Context,
    LoadedSchedule,
    ScheduleProblem,
    _Record,
)
from publisher.core.schedule.fields import _bad_strings, _parse_at, _to_python, format_hours, parse_duration
from publisher.core.schedule.story_block import _line_of_path, _load_story, _story_lines
from publisher.core.story import Story, story_to_json, story_video_placeholder
from publisher.errors import ValidationFailed
from publisher.i18n import Msg, msg


def _validate(
    path: Path, top: dict[str, tuple[int, Any]], records: list[_Record], ctx: Context
) -> LoadedSchedule:
    name = str(path)
    problems: list[ScheduleProblem] = []
    notes: list[ScheduleProblem] = []

    def err(line: int | None, post: str | None, fld: str | None, message: Msg | str) -> None:
        problems.append(ScheduleProblem(name, line, post, fld, message))

    def refused_chars(fields: Mapping[str, tuple[int, Any]], post: str | None, prefix: str = "") -> set[str]:
        """Report every NUL, control character or lone surrogate; the fields holding one."""
        bad: set[str] = set()
        for key, (line, val) in fields.items():
            for fld, at, position, code in _bad_strings(val, prefix + key):
                err(at or line, post, fld, msg("sched.control_char", code=code, position=position))
                bad.add(key)
        return bad

    def text_of(entry: tuple[int, Any] | None, post: str | None, fld: str) -> str | None:
        if entry is None:
            return None
        line, val = entry
        if not isinstance(val.value, str):
            err(line, post, fld, msg("sched.expected_text"))
            return None
        raw = val.value
        norm = nfc(raw)
        if norm != raw:
            notes.append(ScheduleProblem(name, line, post, fld, msg("sched.nfc"), severity="note"))
        limit = FIELD_MAX_CHARS.get(fld)
        if limit is not None and len(norm.strip()) > limit:
            err(line, post, fld, msg("sched.too_long", length=len(norm.strip()), max=limit))
            return None
        return norm

    heads = {k: v for k, v in top.items() if k != "posts"}  # each post is looked at below, with its id
    top = {k: v for k, v in top.items() if k not in refused_chars(heads, None)}
    tz = DEFAULT_TZ
    if "timezone" in top:
        tzv = text_of(top["timezone"], None, "timezone")
        if tzv is not None and not tzv.strip():
            err(top["timezone"][0], None, "timezone", msg("sched.empty_text"))
        elif tzv:
            try:
                ZoneInfo(tzv.strip())
                tz = tzv.strip()
            except (ZoneInfoNotFoundError, ValueError, OSError):
                err(top["timezone"][0], None, "timezone", msg("sched.bad_tz", value=tzv))
    file_campaign = text_of(top.get("campaign"), None, "campaign")

    defaults: dict[str, tuple[int, Any]] = {}
    if "defaults" in top:
        dline, dval = top["defaults"]
        if not isinstance(dval.value, dict):
            err(dline, None, "defaults", msg("sched.expected_mapping"))
        else:
            for key, entry in dval.value.items():
                if key not in DEFAULT_FIELDS:
                    err(
                        entry[0],
                        None,
                        f"defaults.{key}",
                        msg("sched.unknown_field", name=key, allowed=", ".join(DEFAULT_FIELDS)),
                    )
                else:
                    defaults[key] = entry

    roots = [path.parent.resolve(), *(Path(r).resolve() for r in ctx.media_roots)]
    seen_ids: dict[str, int] = {}
    specs: list[PostSpec] = []
    lines: dict[str, dict[str, int]] = {}

    for rec_line, rec, dupes in records:
        post_id: str | None = None
        id_entry = rec.get("id")
        if id_entry is not None and isinstance(id_entry[1].value, str):
            post_id = id_entry[1].value.strip()
        for key, (line, _v) in rec.items():
            if key not in POST_FIELDS:
                err(line, post_id, key, msg("sched.unknown_field", name=key, allowed=", ".join(POST_FIELDS)))
        ok = True
        for key, line, first in dupes:
            err(line, post_id, key, msg("sched.duplicate_key", name=key, line=first))
            ok = False
        if id_entry is None:
            err(rec_line, None, "id", msg("sched.missing", name="id"))
            ok = False
        elif post_id is None or not POST_ID_RE.match(post_id):
            err(id_entry[0], None, "id", msg("sched.bad_id", value=id_entry[1].value))
            post_id = None
            ok = False
        elif post_id in seen_ids:
            err(id_entry[0], post_id, "id", msg("sched.duplicate_id", value=post_id, line=seen_ids[post_id]))
            ok = False
        else:
            seen_ids[post_id] = id_entry[0]

        merged = {**defaults, **rec}
        refused = refused_chars(merged, post_id)  # reported; those fields are left out of the rest
        if refused:
            ok = False
            rec = {k: v for k, v in rec.items() if k not in refused}
            merged = {k: v for k, v in merged.items() if k not in refused}

        for req in ("at", "title", "text"):
            if req not in rec and req not in refused:
                err(rec_line, post_id, req, msg("sched.missing", name=req))
                ok = False
        title = text_of(rec.get("title"), post_id, "title")
        body = text_of(rec.get("text"), post_id, "text")
        for fld, value in (("title", title), ("text", body)):
            if value is not None and not value.strip():
                err(rec[fld][0], post_id, fld, msg("sched.empty_text"))
                ok = False

        grace_hours = ctx.grace_hours
        grace_given: float | None = None
        if "grace" in merged:
            gline, gval = merged["grace"]
            hours = parse_duration(gval.value) if isinstance(gval.value, str) else None
            if hours is None:
                err(gline, post_id, "grace", msg("sched.bad_duration", value=gval.value))
                ok = False
            elif hours > MAX_GRACE_HOURS:
                err(
                    gline,
                    post_id,
                    "grace",
                    msg("sched.grace_too_long", value=gval.value.strip(), max=format_hours(MAX_GRACE_HOURS)),
                )
                ok = False
            else:
                grace_hours = grace_given = hours

        due: datetime | None = None
        if "at" in rec:
            aline, aval = rec["at"]
            problem: Msg | None = msg("sched.bad_time", value=aval.value)
            note: Msg | None = None
            if isinstance(aval.value, str):
                due, problem, note = _parse_at(aval.value, tz)
            if due is None:
                err(aline, post_id, "at", problem or msg("sched.bad_time", value=aval.value))
                ok = False
            elif due + timedelta(hours=grace_hours) < ctx.now and ctx.known_due.get(post_id or "") != due:
                local = due.astimezone(ZoneInfo(tz)).strftime("%d/%m/%Y %H:%M")
                err(aline, post_id, "at", msg("sched.past", when=local, grace=format_hours(grace_hours)))
                ok = False
            elif due < ctx.now:
                local = due.astimezone(ZoneInfo(tz)).strftime("%d/%m/%Y %H:%M")
                notes.append(
                    ScheduleProblem(
                        name,
                        aline,
                        post_id,
                        "at",
                        msg(
                            "sched.late"
                            if due + timedelta(hours=grace_hours) >= ctx.now
                            else "sched.past_known",
                            when=local,
                            grace=format_hours(grace_hours),
                        ),
                        "note",
                    )
                )
            if note is not None and due is not None:
                notes.append(ScheduleProblem(name, aline, post_id, "at", note, "note"))

        targets: list[Target] = []
        if "targets" not in merged:
            err(rec_line, post_id, "targets", msg("sched.no_targets"))
            ok = False
        else:
            tline, tval = merged["targets"]
            items = (
                tval.value
                if isinstance(tval.value, list)
                else [tval]
                if isinstance(tval.value, str)
                else None
            )
            if items is None:
                err(tline, post_id, "targets", msg("sched.expected_list"))
                ok = False
            else:
                for item in items:
                    if not isinstance(item.value, str):
                        err(item.line or tline, post_id, "targets", msg("sched.bad_target", value=item.value))
                        ok = False
                        continue
                    try:
                        tgt = Target.parse(item.value)
                    except ValueError:
                        err(item.line or tline, post_id, "targets", msg("sched.bad_target", value=item.value))
                        ok = False
                        continue
                    if ctx.known_targets is not None and str(tgt) not in ctx.known_targets:
                        err(
                            item.line or tline,
                            post_id,
                            "targets",
                            msg("sched.unknown_account", value=str(tgt)),
                        )
                        ok = False
                    elif tgt not in targets:
                        targets.append(tgt)
                if not items:
                    err(tline, post_id, "targets", msg("sched.no_targets"))
                    ok = False

        def media_path(entry_line: int, value: Any, fld: str, post_id: str | None = post_id) -> Path | None:
            if not isinstance(value, str) or not value.strip():
                err(entry_line, post_id, fld, msg("sched.expected_text"))
                return None
            full = Path()
            try:  # a hostile name (too long, ~nobody) must end in a message, not a traceback
                p = Path(unicodedata.normalize("NFC", value.strip())).expanduser()
                full = (path.parent / p) if not p.is_absolute() else p
                resolved = full.resolve()
                if not any(resolved == r or resolved.is_relative_to(r) for r in roots):
                    err(entry_line, post_id, fld, msg("sched.media_outside", value=value))
                    return None
                if ctx.check_media:
                    if not resolved.exists():
                        err(entry_line, post_id, fld, msg("sched.media_missing", value=value, path=resolved))
                        return None
                    if not resolved.is_file():
                        err(entry_line, post_id, fld, msg("sched.media_not_file", value=value))
                        return None
            except (OSError, RuntimeError, ValueError):
                err(entry_line, post_id, fld, msg("sched.media_missing", value=value, path=full))
                return None
            return resolved

        images: list[Path] = []
        image_lines: dict[str, int] = {}
        if "images" in merged:
            iline, ival = merged["images"]
            items = (
                ival.value
                if isinstance(ival.value, list)
                else [ival]
                if isinstance(ival.value, str)
                else None
            )
            if items is None:
                err(iline, post_id, "images", msg("sched.expected_list"))
                ok = False
            else:
                for item in items:
                    mp = media_path(item.line or iline, item.value, "images")
                    if mp is None:
                        ok = False
                    else:
                        image_lines[f"images.{len(images)}"] = item.line or iline
                        images.append(mp)
        video: Path | None = None
        if "video" in merged:
            vline, vval = merged["video"]
            video = media_path(vline, vval.value, "video")
            if video is None:
                ok = False

        story: Story | None = None
        story_lines: dict[str, int] = {}
        if "story" in rec:
            sline, sval = rec["story"]
            story_lines = _story_lines(sval, "story")
            if path.suffix.lower() == ".csv":
                err(sline, post_id, "story", msg("sched.story_csv"))
                ok = False
            elif video is not None or "video" in merged:
                err(sline, post_id, "story", msg("sched.story_and_video"))
                ok = False
            else:
                story = _load_story(sval, sline, story_lines, due, tz, title, post_id, media_path, err)
                ok = ok and story is not None

        draft = False
        if "draft" in merged:
            dline, dval = merged["draft"]
            b = str(dval.value).strip().lower() if isinstance(dval.value, str) else None
            if b in ("true", "yes", "1", "có", "co"):
                draft = True
            elif b in ("false", "no", "0", "không", "khong", ""):
                draft = False
            else:
                err(dline, post_id, "draft", msg("sched.bad_bool"))
                ok = False

        options: dict[str, Any] = {}
        if "options" in merged:
            oline, oval = merged["options"]
            if not isinstance(oval.value, dict):
                err(oline, post_id, "options", msg("sched.expected_mapping"))
                ok = False
            else:
                options = _to_python(oval)
        banner = text_of(merged.get("banner"), post_id, "banner")
        if banner:
            options = {**options, "banner": banner}
        if "story" in options:  # only the validated block below may set it
            err(merged["options"][0], post_id, "options.story", msg("sched.story_option"))
            ok = False
        if story is not None and post_id is not None:
            options = {**options, "story": story_to_json(story)}
            video = story_video_placeholder(path.parent.resolve(), post_id)

        campaign = text_of(merged.get("campaign"), post_id, "campaign") or file_campaign
        author = text_of(merged.get("author"), post_id, "author")
        link = text_of(merged.get("link"), post_id, "link")

        if not ok or due is None or post_id is None or title is None or body is None:
            continue
        spec = PostSpec(
            key=post_id,
            title=title.strip(),
            text=body.rstrip() + ("\n" if body.endswith("\n") else ""),
            due_at=due,
            timezone=tz,
            targets=tuple(targets),
            images=tuple(images),
            video=video,
            campaign=campaign.strip() if campaign else None,
            author=author.strip() if author else None,
            link=link.strip() if link else None,
            grace_hours=grace_given,
            draft=draft,
            options=options,
            source_file=str(path.resolve()),
            source_line=rec_line,
        )
        field_lines = {"post": rec_line, **{k: v[0] for k, v in merged.items()}, **image_lines, **story_lines}

        def line_of(fld: str, position: int | None, field_lines: dict[str, int] = field_lines) -> int:
            if position is not None and f"{fld}.{position}" in field_lines:
                return field_lines[f"{fld}.{position}"]
            return _line_of_path(field_lines, fld, field_lines["post"])

        for tgt in spec.targets:
            limits = ctx.limits.get(tgt.platform.value)
            if limits:
                for p in check_limits(spec, dict(limits)):
                    if p.severity == "block":
                        err(line_of(p.field, None), post_id, f"{p.field} ({tgt})", p.message)
        for check in ctx.extra_checks:
            for p in check(spec):
                line = line_of(p.field, p.position)
                if p.severity == "block":
                    err(line, post_id, p.field, p.message)
                else:
                    notes.append(ScheduleProblem(name, line, post_id, p.field, p.message, "note"))
        lines[post_id] = field_lines
        specs.append(spec)

    if problems:
        problems.sort(key=lambda p: p.line or 0)  # in the order of the file
        raise ValidationFailed(msg("sched.failed", n=len(problems)), problems + notes)
    return LoadedSchedule(name, specs, notes, lines)
