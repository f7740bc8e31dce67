"""``publisher pause`` and ``resume``: the emergency stop of every pending delivery, and the way back."""

from __future__ import annotations

from typing import Any

import click

from publisher.actions.pause import pause_publishing, resume_publishing
from publisher.cli.common import bi, handle_errors, open_store, settings
from publisher.cli.output import console, emit_json, local_time, print_rows
from publisher.core.states import label
from publisher.i18n import register, t

register(
    {
        "cli.paused": (
            "ĐÃ TẠM DỪNG mọi lượt đăng chờ ({n} lượt). Lý do: {reason}. Tiếp tục bằng “publisher resume”.",
            "PAUSED every pending delivery ({n}). Reason: {reason}. Continue with “publisher resume”.",
        ),
        "cli.resumed": ("Đã tiếp tục; {n} lượt đăng được giải phóng.", "Resumed; {n} deliveries released."),
        "cli.resume_late": (
            "Sẽ đăng muộn (vẫn trong thời gian cho phép): {item}, hẹn {due}",
            "Will go out late (within the grace window): {item}, due {due}",
        ),
        "cli.resume_too_late": (
            "Quá muộn, sẽ bị đánh dấu lỡ giờ: {item}, hẹn {due}",
            "Too late, will be marked missed: {item}, due {due}",
        ),
    }
)


@click.command(
    "pause",
    help=bi(
        "TẠM DỪNG KHẨN CẤP mọi lượt đăng chờ (ngày quốc tang, thiên tai…).",
        "EMERGENCY PAUSE of every pending delivery (national mourning, disaster…).",
    ),
)
@click.option("--reason", required=True, help=bi("Lý do.", "Reason."))
@handle_errors
def pause(reason: str) -> None:
    n = pause_publishing(open_store(), settings(), reason)
    console.print(t("cli.paused", n=n, reason=reason), style="bold red", markup=False)


@click.command(
    "resume",
    help=bi(
        "Tiếp tục sau khi tạm dừng; liệt kê những gì đã bị giữ và những gì nay đã muộn.",
        "Resume after a pause; list what was held and what is now late.",
    ),
)
@click.option("--json", "as_json", is_flag=True, help=bi("Xuất JSON.", "Output JSON."))
@handle_errors
def resume(as_json: bool) -> None:
    report = resume_publishing(open_store(), settings())
    if as_json:
        emit_json(report.__dict__)
        return
    console.print(t("cli.resumed", n=len(report.held)), markup=False)
    if report.held:
        rows = [
            (h["id"], h["post"], h["target"], local_time(h["due_at"]), label(h["state"])) for h in report.held
        ]
        print_rows(None, ("id", "post", "target", "time", "state"), rows)
    for h in report.late:
        console.print(
            t("cli.resume_late", item=_item(h), due=local_time(h["due_at"])), style="yellow", markup=False
        )
    for h in report.too_late:
        console.print(
            t("cli.resume_too_late", item=_item(h), due=local_time(h["due_at"])), style="red", markup=False
        )


def _item(held: dict[str, Any]) -> str:
    return f"{held['post']}:{held['target']}"


COMMANDS: list[click.Command] = [pause, resume]
