"""``publisher media strip-gps``: remove the GPS position from photos, in place."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click
from PIL import Image, UnidentifiedImageError

from assets.checks import has_gps, strip_gps
from publisher.cli.common import bi, handle_errors
from publisher.cli.output import console
from publisher.errors import UserError
from publisher.i18n import msg, register, t

register(
    {
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
    }
)


@click.command(
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
    for path in files:
        if not has_gps(path):
            try:
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
