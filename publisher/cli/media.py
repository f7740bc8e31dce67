"""``publisher media``: look at a photo or clip, make one variant, list the presets.

``publisher media prepare POST_ID`` needs the store and is wired by the lead: it calls
:func:`assets.prepare.prepare_all` with :func:`progress_bar` as ``on_progress``.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from assets.presets import PRESETS, ImagePreset, VideoPreset
from publisher.cli.common import bi, console, emit_json, handle_errors, settings, table
from publisher.core.story import Story
from publisher.errors import UserError
from publisher.i18n import msg, register, t

register(
    {
        "media.prepared": ("Đã chuẩn bị xong cho {target}.", "Ready for {target}."),
        "media.prepare_failed": (
            "Không chuẩn bị được cho {target}: {reason}",
            "Cannot prepare for {target}: {reason}",
        ),
        "cli.media.presets_title": ("Các mẫu xử lý ảnh và video", "Media presets"),
        "cli.media.col.name": ("Tên", "Name"),
        "cli.media.col.platform": ("Nền tảng", "Platform"),
        "cli.media.col.kind": ("Loại", "Kind"),
        "cli.media.col.frame": ("Khung hình", "Frame"),
        "cli.media.col.limits": ("Giới hạn", "Limits"),
        "cli.media.fit.cover": ("cắt vừa khung", "cover-crop"),
        "cli.media.fit.pad": ("đặt trong khung", "padded"),
        "cli.media.fit.contain": ("tối đa", "at most"),
        "cli.media.layout.vertical-blur": ("dọc, nền mờ", "vertical, blurred fill"),
        "cli.media.layout.fit": ("tối đa", "at most"),
        "cli.media.limit.bytes": ("≤ {mb} MB", "≤ {mb} MB"),
        "cli.media.limit.gb": ("≤ {gb} GB", "≤ {gb} GB"),
        "cli.media.limit.duration": ("{min}–{max} giây", "{min}–{max} s"),
        "cli.media.check_head": ("{name} cho {preset}:", "{name} for {preset}:"),
        "cli.media.info_video": (
            "video {codec} {w}×{h}, {fps} hình/giây, {duration} giây, tiếng {audio}, {mb} MB",
            "video {codec} {w}×{h}, {fps} fps, {duration} s, audio {audio}, {mb} MB",
        ),
        "cli.media.info_image": ("ảnh {format} {w}×{h}, {mb} MB", "{format} photo {w}×{h}, {mb} MB"),
        "cli.media.no_audio": ("không có", "none"),
        "cli.media.problems": ("Chưa đúng yêu cầu:", "Does not meet the requirements:"),
        "cli.media.no_problems": ("Đã đúng yêu cầu.", "Meets the requirements."),
        "cli.media.changes": ("Khi xử lý sẽ:", "Preparing it will:"),
        "cli.media.blocked": (
            "Không xử lý được tệp này cho {preset}.",
            "This file cannot be prepared for {preset}.",
        ),
        "cli.media.ok_to_render": (
            "Dùng `publisher media render` để tạo tệp.",
            "Use `publisher media render` to make the file.",
        ),
        "cli.media.out_exists": (
            "Tệp {path} đã có. Thêm --force để ghi đè.",
            "{path} already exists. Add --force to overwrite it.",
        ),
        "cli.media.bad_focus": (
            "--focus cần hai số từ 0 đến 1, ví dụ 0.5,0.3",
            "--focus needs two numbers from 0 to 1, e.g. 0.5,0.3",
        ),
        "cli.media.rendering": ("Đang xử lý {name}", "Preparing {name}"),
        "cli.media.done": (
            "Đã tạo {path}: {w}×{h}, {mb} MB{duration}.",
            "Made {path}: {w}×{h}, {mb} MB{duration}.",
        ),
        "cli.media.cached": ("(lấy từ bộ nhớ đệm)", "(from the cache)"),
        "cli.media.seconds": (", {s} giây", ", {s} s"),
        "cli.media.gps_stripped": (
            "Đã xóa vị trí GPS khỏi {path}. Nạp lại tệp lịch và duyệt lại bài (ảnh đã đổi).",
            "Removed the GPS position from {path}. Queue the schedule file again and re-approve the post "
            "(the photo changed).",
        ),
        "cli.media.no_gps": (
            "{path} không có vị trí GPS; giữ nguyên.",
            "{path} has no GPS position; left as it is.",
        ),
        "cli.media.not_photo": (
            "{path} không phải ảnh đọc được ({reason}).",
            "{path} is not a readable photo ({reason}).",
        ),
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


def _mb(n: int | None) -> str:
    return "—" if n is None else f"{n / 1_000_000:.2f}".rstrip("0").rstrip(".")


def _size_text(n: int) -> str:
    return t("cli.media.limit.gb", gb=f"{n / 1e9:g}") if n >= 10**9 else t("cli.media.limit.bytes", mb=_mb(n))


def _limits_text(preset: ImagePreset | VideoPreset) -> str:
    parts = [_size_text(preset.max_bytes)] if preset.max_bytes else []
    if isinstance(preset, VideoPreset) and preset.max_duration:
        parts.append(
            t("cli.media.limit.duration", min=f"{preset.min_duration or 0:g}", max=f"{preset.max_duration:g}")
        )
    return ", ".join(parts)


def _frame_text(preset: ImagePreset | VideoPreset) -> str:
    how = (
        t(f"cli.media.fit.{preset.fit}")
        if isinstance(preset, ImagePreset)
        else t(f"cli.media.layout.{preset.layout}")
    )
    return f"{preset.width}×{preset.height} ({how})"


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[..., None]]:
    """A rich progress bar; the yielded callback takes (fraction[, label])."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task(label, total=1.0)

        def update(fraction: float, text: str | None = None) -> None:
            if text:
                bar.update(task, completed=fraction, description=text)
            else:
                bar.update(task, completed=fraction)

        yield update


def _deliver(result: Any, out: Path) -> None:
    """Copy a prepared file (a variant or a story) to ``out`` and say what was made."""
    for note in result.notes:
        console.print(f"  → {note}", markup=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(result.path, out)
    duration = t("cli.media.seconds", s=f"{result.duration:.1f}") if result.duration else ""
    line = t(
        "cli.media.done",
        path=str(out),
        w=result.width,
        h=result.height,
        mb=_mb(result.bytes),
        duration=duration,
    )
    if result.cached:
        line += " " + t("cli.media.cached")
    console.print(line, markup=False)


def _focus(value: str | None) -> tuple[float, float]:
    if not value:
        return (0.5, 0.5)
    try:
        x, y = (float(v) for v in value.split(","))
    except ValueError:
        raise UserError(msg("cli.media.bad_focus")) from None
    if not (0 <= x <= 1 and 0 <= y <= 1):
        raise UserError(msg("cli.media.bad_focus"))
    return (x, y)


@click.group(
    "media",
    help=bi("Chuẩn bị ảnh và video cho từng nền tảng.", "Prepare photos and clips for each platform."),
)
def media() -> None:
    pass


@media.command("presets", help=bi("Liệt kê các mẫu xử lý.", "List the presets."))
@click.option("--json", "as_json", is_flag=True, help=bi("In dạng JSON.", "Print JSON."))
@handle_errors
def presets_command(as_json: bool) -> None:
    if as_json:
        emit_json(
            [
                {
                    "name": p.name,
                    "platform": p.platform,
                    "kind": p.kind,
                    "width": p.width,
                    "height": p.height,
                    "max_bytes": p.max_bytes,
                    "max_duration": p.max_duration if isinstance(p, VideoPreset) else None,
                }
                for p in PRESETS.values()
            ]
        )
        return
    rows = [
        (p.name, p.platform, t(f"media.kind.{p.kind}"), _frame_text(p), _limits_text(p))
        for p in PRESETS.values()
    ]
    cols = [t(f"cli.media.col.{c}") for c in ("name", "platform", "kind", "frame", "limits")]
    console.print(table(t("cli.media.presets_title"), cols, rows))


@media.command(
    "check",
    help=bi(
        "Xem tệp có đúng yêu cầu của một mẫu không, và khi xử lý sẽ thay đổi gì.",
        "Show what is wrong with a file for a preset, and what preparing it would change.",
    ),
)
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--for", "preset_name", required=True, type=click.Choice(sorted(PRESETS)), help=bi("Mẫu.", "Preset.")
)
@click.option("--start", type=float, default=0.0, help=bi("Bắt đầu từ giây.", "Start at second."))
@click.option("--json", "as_json", is_flag=True, help=bi("In dạng JSON.", "Print JSON."))
@handle_errors
def check_command(file: Path, preset_name: str, start: float, as_json: bool) -> None:
    from assets.prepare import RenderOptions, check  # Pillow and friends load only when needed

    media_settings = settings().media
    report = check(file, preset_name, options=RenderOptions(start=start), media=media_settings)
    if as_json:
        emit_json(
            {
                "file": str(file),
                "preset": preset_name,
                "kind": report.kind,
                "blocked": report.blocked,
                "problems": [
                    {"code": p.code, "severity": p.severity, "message": str(p.message)}
                    for p in report.problems
                ],
                "changes": [str(c) for c in report.changes],
            }
        )
    else:
        console.print(
            t("cli.media.check_head", name=file.name, preset=preset_name), markup=False, style="bold"
        )
        info: Any = report.info
        if report.kind == "video" and info is not None:
            console.print(
                "  "
                + t(
                    "cli.media.info_video",
                    codec=info.codec,
                    w=info.width,
                    h=info.height,
                    fps=f"{info.avg_fps:.2f}",
                    duration=f"{info.duration:.1f}",
                    audio=(
                        f"{info.audio_codec} {info.audio_rate} Hz"
                        if info.has_audio
                        else t("cli.media.no_audio")
                    ),
                    mb=_mb(info.bytes),
                ),
                markup=False,
            )
        elif info is not None:
            w, h = info.display_size
            console.print(
                "  " + t("cli.media.info_image", format=info.format.upper(), w=w, h=h, mb=_mb(info.bytes)),
                markup=False,
            )
        if report.problems:
            console.print(t("cli.media.problems"), markup=False)
            for p in report.problems:
                mark = "✗" if p.severity == "block" else "•"
                console.print(f"  {mark} {p.message}", markup=False)
        else:
            console.print(t("cli.media.no_problems"), markup=False)
        if report.changes and not report.blocked:
            console.print(t("cli.media.changes"), markup=False)
            for c in report.changes:
                console.print(f"  → {c}", markup=False)
        if report.blocked:
            console.print(t("cli.media.blocked", preset=preset_name), markup=False, style="bold red")
        elif report.changes:
            console.print(t("cli.media.ok_to_render"), markup=False)
    if report.blocked:
        raise SystemExit(2)


@media.command(
    "render",
    help=bi(
        "Tạo một tệp đã xử lý cho một mẫu (ví dụ một Reel hoặc một ảnh bìa).",
        "Make one prepared file for one preset (a Reel or a cover, for example).",
    ),
)
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--preset", "preset_name", required=True, type=click.Choice(sorted(PRESETS)), help=bi("Mẫu.", "Preset.")
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help=bi("Tệp ra.", "Output file."),
)
@click.option("--force", is_flag=True, help=bi("Ghi đè tệp ra nếu đã có.", "Overwrite the output file."))
@click.option(
    "--focus",
    help=bi("Điểm giữ lại khi cắt ảnh: X,Y từ 0 đến 1.", "Point kept when cropping: X,Y from 0 to 1."),
)
@click.option(
    "--banner", help=bi("Dòng chữ trên băng rôn cuối ảnh.", "Banner text across the bottom of a photo.")
)
@click.option("--title", help=bi("Tiêu đề hiện ở đầu video.", "Title shown at the start of a clip."))
@click.option(
    "--logo", type=click.Path(path_type=Path, dir_okay=False, exists=True), help=bi("Tệp logo.", "Logo file.")
)
@click.option("--start", type=float, default=0.0, help=bi("Video bắt đầu từ giây.", "Clip starts at second."))
@click.option(
    "--at", "thumbnail_at", type=float, help=bi("Giây lấy ảnh đại diện.", "Second to take a thumbnail from.")
)
@click.option(
    "--cache-dir", type=click.Path(path_type=Path, file_okay=False), help=bi("Thư mục đệm.", "Cache folder.")
)
@handle_errors
def render_command(
    file: Path,
    preset_name: str,
    out: Path,
    force: bool,
    focus: str | None,
    banner: str | None,
    title: str | None,
    logo: Path | None,
    start: float,
    thumbnail_at: float | None,
    cache_dir: Path | None,
) -> None:
    from assets.prepare import RenderOptions, prepare

    if out.exists() and not force:
        raise UserError(msg("cli.media.out_exists", path=str(out)))
    cfg = settings()
    options = RenderOptions(
        focus=_focus(focus),
        banner=banner,
        title=title,
        logo=logo,
        start=start,
        thumbnail_at=thumbnail_at,
    )
    with progress_bar(t("cli.media.rendering", name=file.name)) as update:
        result = prepare(
            file, preset_name, cache_dir or cfg.cache_dir, update, options=options, media=cfg.media
        )
    _deliver(result, out)


@media.command(
    "prepare",
    help=bi(
        "Chuẩn bị ngay mọi ảnh, video của một bài cho từng nền tảng (có thanh tiến độ).",
        "Render every photo and clip of a post for each of its platforms now (with progress).",
    ),
)
@click.argument("ref")
@handle_errors
def prepare_command(ref: str) -> None:
    from publisher.media_prep import prepare_delivery
    from publisher.store import Store

    cfg = settings()
    store = Store(cfg)
    store.init(create=False)  # only ``publisher init`` creates the data directory and the key
    with store.db.read() as conn:
        rows = store.resolve(conn, ref)
    failed = 0
    for r in rows:
        label = f"{r.key} → {r.platform}/{r.name}"
        with progress_bar(label) as update:

            def step(
                fraction: float, text: str, label: str = label, update: Callable[..., None] = update
            ) -> None:
                update(fraction, f"{label}: {text}")

            report = prepare_delivery(store, r.id, cfg, step)
        if report.ok:
            notes = (report.media or {}).get("notes") or []
            console.print(t("media.prepared", target=f"{r.platform}/{r.name}"), markup=False)
            for note in notes:
                console.print(f"  • {note}", markup=False)
        else:
            failed += 1
            console.print(
                t("media.prepare_failed", target=f"{r.platform}/{r.name}", reason=report.error),
                style="red",
                markup=False,
            )
    if failed:
        raise SystemExit(2)


@media.command(
    "strip-gps",
    help=bi(
        "Xóa vị trí GPS khỏi ảnh (ghi đè tệp, giữ chiều xoay và chất lượng cao) để bài được duyệt.",
        "Remove the GPS position from photos (in place, keeping orientation and high quality) so the "
        "post can be approved.",
    ),
)
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False, exists=True)
)
@handle_errors
def strip_gps_command(files: tuple[Path, ...]) -> None:
    import os
    import tempfile

    from PIL import UnidentifiedImageError

    from publisher.media_probe import has_gps, strip_gps

    for path in files:
        if not has_gps(path):
            try:
                from PIL import Image

                with Image.open(path):
                    pass
            except (OSError, UnidentifiedImageError) as exc:
                raise UserError(
                    msg("cli.media.not_photo", path=str(path), reason=type(exc).__name__)
                ) from exc
            console.print(t("cli.media.no_gps", path=str(path)), markup=False)
            continue
        fd, tmp = tempfile.mkstemp(prefix=".strip-", suffix=path.suffix, dir=path.parent)
        os.close(fd)
        try:
            strip_gps(path, Path(tmp))
            os.replace(tmp, path)  # atomic: the photo is either the old or the new one, never half
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        console.print(t("cli.media.gps_stripped", path=str(path)), markup=False)


def story_of_post(
    schedule: Path, post_id: str, *, unit: str | None = None, max_bytes: int = 2_000_000
) -> Story:
    """The ``story:`` block of one post, read by the schedule loader as ``publisher queue`` reads it.

    The whole file must load (every problem is reported, with its line); the time of a post does not
    matter for a look before queueing, so a post in the past is no error here.
    """
    from publisher.core.schedule import MIN_YEAR, Context, load_schedule

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


@media.command(
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
    from assets.story import render_story, with_defaults

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
    _deliver(result, out)


COMMANDS: list[click.Command] = [media]
