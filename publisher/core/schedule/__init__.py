"""Schedule files (YAML and CSV) → validated :class:`PostSpec` values, or every problem at once.

Pure: reads the text it is given and looks at the file system only to check media paths. Every
problem names the file, the line, the post id and the field, in Vietnamese (English with
``PUBLISHER_LANGUAGE=en``). The only exception that :func:`load_schedule` raises is
:class:`ValidationFailed`.

Format (YAML)::

    timezone: Asia/Ho_Chi_Minh
    campaign: Thông tin đối ngoại 2025
    defaults:
      targets: [facebook/ubnd-hanh-dich, zalo/ubnd-hanh-dich]
      grace: 6h
    posts:
      - id: giai-phong-50-nam
        at: 2025-04-30 07:00
        title: …
        text: |
          …
        images: [media/30-4-a.jpg]
        video: media/30-4.mp4
        targets: [facebook/ubnd-hanh-dich, youtube/hanh-dich-tv]

CSV: one post per row with the same field names as column headers; lists (images, targets) are
separated by ``;``.

Hostile or careless files get a message, never a traceback or a silent guess: a file over
``Context.max_bytes`` is not read past the cap; YAML anchors and aliases are refused (a tiny file
could expand to gigabytes or refer to itself), as is nesting past :data:`MAX_DEPTH`; a key given
twice, a CSV column named twice or a row wider than its header is an error; years outside
:data:`MIN_YEAR`–:data:`MAX_YEAR`, a grace over :data:`MAX_GRACE_HOURS`, text longer than its
database column (:data:`FIELD_MAX_CHARS`, so SQLite and PostgreSQL answer alike) and control
characters are errors; a local time the clocks skip or repeat is a note naming the time used.
Photos and clips are looked at by ``Context.extra_checks`` (Pillow and ffprobe live outside the core).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from publisher.core.schedule.base import (
    DEFAULT_FIELDS,
    DEFAULT_MAX_BYTES,
    DEFAULT_TZ,
    FIELD_MAX_CHARS,
    MAX_DEPTH,
    MAX_GRACE_HOURS,
    MAX_YEAR,
    MIN_YEAR,
    POST_FIELDS,
    TOP_FIELDS,
    Context,
    LoadedSchedule,
    ScheduleProblem,
    _fail,
)
from publisher.core.schedule.csv_reader import _records_from_csv
from publisher.core.schedule.fields import format_hours, parse_duration, parse_local_time
from publisher.core.schedule.validate import _validate
from publisher.core.schedule.yaml_reader import _records_from_yaml
from publisher.i18n import msg

__all__ = [
    "Context",
    "DEFAULT_FIELDS",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TZ",
    "FIELD_MAX_CHARS",
    "LoadedSchedule",
    "MAX_DEPTH",
    "MAX_GRACE_HOURS",
    "MAX_YEAR",
    "MIN_YEAR",
    "POST_FIELDS",
    "ScheduleProblem",
    "TOP_FIELDS",
    "format_hours",
    "load_schedule",
    "parse_duration",
    "parse_local_time",
]


def load_schedule(path: Path | str, ctx: Context, text: str | None = None) -> LoadedSchedule:
    """Read and validate one schedule file. Raises only :class:`ValidationFailed`."""
    path = Path(path)
    name = str(path)
    is_csv = path.suffix.lower() == ".csv"
    too_big = ScheduleProblem(name, None, None, None, msg("sched.too_big", max=ctx.max_bytes))
    if text is None:
        try:
            with path.open("rb") as fh:
                raw = fh.read(ctx.max_bytes + 1)  # never more than the cap, whatever the file is
        except OSError as exc:
            _fail(
                [ScheduleProblem(name, None, None, None, msg("sched.cannot_read", error=exc.strerror or exc))]
            )
        if len(raw) > ctx.max_bytes:
            _fail([too_big])
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            _fail(
                [
                    ScheduleProblem(
                        name, line, None, None, msg("sched.not_utf8_csv" if is_csv else "sched.not_utf8")
                    )
                ]
            )
    elif len(text.encode("utf-8", "surrogatepass")) > ctx.max_bytes:
        _fail([too_big])
    if is_csv:
        records, problems = _records_from_csv(name, text)
        top: dict[str, tuple[int, Any]] = {}
    else:
        top, records, problems = _records_from_yaml(name, text)
    if problems:
        _fail(problems)
    return _validate(path, top, records, ctx)
