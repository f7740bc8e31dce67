"""What the ``publisher media`` commands share: sizes in MB, the progress bar, handing over a file."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from publisher.cli.output import console
from publisher.i18n import register, t

register(
    {
        "cli.media.out_exists": (
            "Tệp {path} đã có. Thêm --force để ghi đè.",
            "{path} already exists. Add --force to overwrite it.",
        ),
        "cli.media.done": (
            "Đã tạo {path}: {w}×{h}, {mb} MB{duration}.",
            "Made {path}: {w}×{h}, {mb} MB{duration}.",
        ),
        "cli.media.cached": ("(lấy từ bộ nhớ đệm)", "(from the cache)"),
        "cli.media.seconds": (", {s} giây", ", {s} s"),
    }
)


def mb_text(n: int | None) -> str:
    return "—" if n is None else f"{n / 1_000_000:.2f}".rstrip("0").rstrip(".")


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


def deliver(result: Any, out: Path) -> None:
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
        mb=mb_text(result.bytes),
        duration=duration,
    )
    if result.cached:
        line += " " + t("cli.media.cached")
    console.print(line, markup=False)
