"""``publisher media render`` (one file for one preset) and ``publisher media prepare`` (a whole post)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from assets.prepare import RenderOptions, prepare
from assets.presets import PRESETS
from publisher.actions.media import prepare_delivery
from publisher.cli.common import bi, handle_errors, settings
from publisher.cli.media.shared import deliver, progress_bar
from publisher.cli.output import console
from publisher.errors import UserError
from publisher.i18n import msg, register, t
from publisher.store import Store

register(
    {
        "media.prepared": ("Đã chuẩn bị xong cho {target}.", "Ready for {target}."),
        "media.prepare_failed": (
            "Không chuẩn bị được cho {target}: {reason}",
            "Cannot prepare for {target}: {reason}",
        ),
        "cli.media.bad_focus": (
            "--focus cần hai số từ 0 đến 1, ví dụ 0.5,0.3",
            "--focus needs two numbers from 0 to 1, e.g. 0.5,0.3",
        ),
        "cli.media.rendering": ("Đang xử lý {name}", "Preparing {name}"),
    }
)


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


@click.command(
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
    deliver(result, out)


@click.command(
    "prepare",
    help=bi(
        "Chuẩn bị ngay mọi ảnh, video của một bài cho từng nền tảng (có thanh tiến độ).",
        "Render every photo and clip of a post for each of its platforms now (with progress).",
    ),
)
@click.argument("ref")
@handle_errors
def prepare_command(ref: str) -> None:
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
