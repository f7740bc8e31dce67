"""``publisher media story``: the short video of a post's photos, made for a look before queueing."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import click

from assets.presets import PRESETS, VideoPreset
from assets.story import render_story, with_defaults
from publisher.cli.common import bi, handle_errors, settings
from publisher.cli.media.shared import deliver, progress_bar
from publisher.core.schedule import MIN_YEAR, Context, load_schedule
from publisher.core.story import Story
from publisher.errors import UserError
from publisher.i18n import msg, register, t

register(
    {
        "cli.media.story_rendering": (
            "Đang dựng video từ ảnh của bài {post}",
            "Making the photo story of {post}",
        ),
        "cli.media.story_no_file": ("Không có tệp lịch {path}.", "No schedule file {path}."),
        "cli.media.story_yaml_only": (
            "Khối “story:” chỉ viết được trong tệp lịch YAML, không trong CSV ({path}).",
            "A “story:” block can only be written in a YAML schedule, not in CSV ({path}).",
        ),
        "cli.media.story_bad_yaml": ("Không đọc được {path}: {error}", "Cannot read {path}: {error}"),
        "cli.media.story_too_big": (
            "Tệp lịch {path} lớn hơn {max} byte (PUBLISHER_SCHEDULE_MAX_BYTES).",
            "The schedule {path} is larger than {max} bytes (PUBLISHER_SCHEDULE_MAX_BYTES).",
        ),
        "cli.media.story_no_post": (
            "Tệp {path} không có bài nào có id “{post}”.",
            "{path} has no post with id “{post}”.",
        ),
        "cli.media.story_none": (
            "Bài {post} không có khối “story:” (ảnh, chú thích, nhạc) để dựng video.",
            "Post {post} has no “story:” block (photos, captions, music) to make a video from.",
        ),
    }
)


def story_of_post(
    schedule: Path, post_id: str, *, unit: str | None = None, max_bytes: int = 2_000_000
) -> Story:
    """The ``story:`` block of one post, read by the schedule loader as ``publisher queue`` reads it.

    The whole file must load (every problem is reported, with its line); the time of a post does not
    matter for a look before queueing, so a post in the past is no error here.
    """
    if not schedule.is_file():
        raise UserError(msg("cli.media.story_no_file", path=str(schedule)))
    if schedule.suffix.lower() == ".csv":
        raise UserError(msg("cli.media.story_yaml_only", path=str(schedule)))
    if schedule.stat().st_size > max_bytes:
        raise UserError(msg("cli.media.story_too_big", path=str(schedule), max=max_bytes))
    cfg = settings()
    ctx = Context(
        now=datetime(MIN_YEAR, 1, 1, tzinfo=UTC),  # nothing is past: a preview is made at any time
        media_roots=tuple(cfg.media_roots),
        max_bytes=max_bytes,
    )
    loaded = load_schedule(schedule, ctx)
    spec = next((p for p in loaded.posts if p.key == post_id), None)
    if spec is None:
        raise UserError(msg("cli.media.story_no_post", path=str(schedule), post=post_id))
    story = spec.story
    if story is None:
        raise UserError(msg("cli.media.story_none", post=post_id))
    if story.unit is None and unit and unit.strip():
        story = dataclasses.replace(story, unit=unit.strip())
    return story


@click.command(
    "story",
    help=bi(
        "Dựng video ngắn từ ảnh của một bài (khối story: trong tệp lịch) để xem trước khi xếp lịch.",
        "Make the short video of a post's photos (its story: block in the schedule) for a look before "
        "queueing.",
    ),
)
@click.argument("schedule", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("post_id")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help=bi("Tệp ra.", "Output file."),
)
@click.option(
    "--preset",
    "preset_name",
    default="facebook-reel",
    show_default=True,
    type=click.Choice(sorted(n for n, p in PRESETS.items() if isinstance(p, VideoPreset))),
    help=bi("Mẫu video.", "Video preset."),
)
@click.option(
    "--unit",
    help=bi(
        "Tên đơn vị trên khung tiêu đề, khi story: không ghi “unit”.",
        "Unit name on the title card when story: names no “unit”.",
    ),
)
@click.option("--force", is_flag=True, help=bi("Ghi đè tệp ra nếu đã có.", "Overwrite the output file."))
@click.option(
    "--cache-dir", type=click.Path(path_type=Path, file_okay=False), help=bi("Thư mục đệm.", "Cache folder.")
)
@handle_errors
def story_command(
    schedule: Path,
    post_id: str,
    out: Path,
    preset_name: str,
    unit: str | None,
    force: bool,
    cache_dir: Path | None,
) -> None:
    if out.exists() and not force:
        raise UserError(msg("cli.media.out_exists", path=str(out)))
    cfg = settings()
    story = with_defaults(
        story_of_post(schedule, post_id, unit=unit, max_bytes=cfg.schedule_max_bytes), cfg.media
    )
    with progress_bar(t("cli.media.story_rendering", post=post_id)) as update:
        result = render_story(
            story, preset_name, cache_dir or cfg.cache_dir, update, media=cfg.media, post=post_id
        )
    deliver(result, out)
