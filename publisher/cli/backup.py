"""``publisher backup`` and ``publisher restore``: the whole installation in one file, and back."""

from __future__ import annotations

from pathlib import Path

import click

from publisher.cli.common import bi, handle_errors, open_store, settings
from publisher.cli.output import console, err_console
from publisher.i18n import register, t
from publisher.store.backup import backup, restore

register(
    {
        "backup.done": (
            "Đã sao lưu vào {path}: {files} tệp, {mb} MB. Tệp này chứa khóa mã hóa: cất ở nơi an toàn, "
            "ngoài máy này.",
            "Backed up to {path}: {files} files, {mb} MB. It holds the encryption key: keep it somewhere safe, "
            "off this machine.",
        ),
        "restore.done": (
            "Đã khôi phục {files} tệp vào {dir}. Kiểm tra bằng “publisher status”, rồi chạy “publisher run”.",
            "Restored {files} files into {dir}. Check with “publisher status”, then start “publisher run”.",
        ),
    }
)


@click.command(
    "backup",
    help=bi(
        "Sao lưu vào một tệp .tar: ảnh chụp nhất quán của cơ sở dữ liệu (chạy được cả khi publisher run đang "
        "chạy), khóa mã hóa, thư mục outbox, ảnh/video của các bài chưa đăng. PostgreSQL: dùng pg_dump nếu có.",
        "Back up into one .tar file: a consistent snapshot of the database (safe while publisher run is "
        "running), the encryption key, the outbox, the photos and clips of posts not yet published. "
        "PostgreSQL: through pg_dump when it is installed.",
    ),
)
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@handle_errors
def backup_command(out: Path) -> None:
    store = open_store()
    try:
        report = backup(store, out)
    finally:
        store.db.dispose()
    for note in report.notes:
        err_console.print(str(note), style="yellow", markup=False)
    console.print(
        t("backup.done", path=report.path.resolve(), files=report.files, mb=f"{report.size / 1e6:.1f}"),
        markup=False,
    )


@click.command(
    "restore",
    help=bi(
        "Khôi phục một bản sao lưu vào thư mục dữ liệu đang cài đặt (PUBLISHER_DATA_DIR), thư mục đó phải trống "
        "hoặc chưa có; ảnh/video được đặt lại đúng chỗ cũ nếu chỗ đó còn trống và nằm trong thư mục đang chạy "
        "lệnh hoặc PUBLISHER_MEDIA_ROOTS (chỗ khác: được liệt kê để tự chép, mã thoát 3).",
        "Restore a backup into the configured data directory (PUBLISHER_DATA_DIR), which must be empty or "
        "absent; photos and clips go back where their posts expect them when nothing is there and the place "
        "lies inside the folder this runs in or PUBLISHER_MEDIA_ROOTS (others are listed to copy by hand, exit 3).",
    ),
)
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@handle_errors
def restore_command(archive: Path) -> None:
    report = restore(settings(), archive)
    for note in report.notes:
        console.print(str(note), markup=False)
    console.print(t("restore.done", files=report.files, dir=report.data_dir), markup=False)
    if report.left_out:  # restored, but photos or clips wait for the officer to copy them
        raise SystemExit(3)


COMMANDS: list[click.Command] = [backup_command, restore_command]
