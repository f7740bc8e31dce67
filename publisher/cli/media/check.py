"""``publisher media presets`` and ``publisher media check``: the presets, and what a file lacks for one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from assets.prepare import RenderOptions, check
from assets.presets import PRESETS, ImagePreset, VideoPreset
from publisher.cli.common import bi, handle_errors, settings
from publisher.cli.media.shared import mb_text
from publisher.cli.output import console, emit_json, table
from publisher.i18n import register, t

register(
    {
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
    }
)


def _size_text(n: int) -> str:
    return (
        t("cli.media.limit.gb", gb=f"{n / 1e9:g}")
        if n >= 10**9
        else t("cli.media.limit.bytes", mb=mb_text(n))
    )


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


@click.command("presets", help=bi("Liệt kê các mẫu xử lý.", "List the presets."))
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


@click.command(
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
                    mb=mb_text(info.bytes),
                ),
                markup=False,
            )
        elif info is not None:
            w, h = info.display_size
            console.print(
                "  "
                + t("cli.media.info_image", format=info.format.upper(), w=w, h=h, mb=mb_text(info.bytes)),
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
