"""``publisher publish REF --dry-run``: the exact requests a post's deliveries would send, sending nothing."""

from __future__ import annotations

from typing import Any

import click

from publisher.actions.preview import preview_requests
from publisher.cli.common import bi, handle_errors, open_store, settings
from publisher.cli.output import console, emit_json
from publisher.errors import UserError
from publisher.i18n import msg, register, t

register(
    {
        "acct.dry_title": (
            "Lượt đăng #{id} {target} — các yêu cầu sẽ gửi (không gửi thật):",
            "Delivery #{id} {target} — the requests it would send (nothing is sent):",
        ),
        "acct.dry_result": ("Kết quả giả định: {outcome}", "Pretend result: {outcome}"),
        "acct.dry_required": (
            "Hiện chỉ hỗ trợ --dry-run; việc đăng thật do bộ hẹn giờ (publisher run) làm.",
            "Only --dry-run is supported; real publishing is done by the scheduler (publisher run).",
        ),
    }
)


@click.command(
    "publish",
    help=bi(
        "Xem trước chính xác các yêu cầu sẽ gửi tới nền tảng (phương thức, URL, header đã che bí mật, nội dung).",
        "Show the exact requests an adapter would send (method, URL, headers with secrets masked, body).",
    ),
)
@click.argument("ref")
@click.option("--dry-run", is_flag=True, help=bi("Không gửi gì.", "Send nothing."))
@click.option("--json", "as_json", is_flag=True, help=bi("Xuất JSON.", "Output JSON."))
@handle_errors
def publish(ref: str, dry_run: bool, as_json: bool) -> None:
    if not dry_run:
        raise UserError(msg("acct.dry_required"))
    dump: list[dict[str, Any]] = []
    for p in preview_requests(open_store(), settings(), ref):
        d, outcome = p.delivery, p.result.outcome.value
        if as_json:
            requests = [r.to_dict() for r in p.requests]
            dump.append({"delivery": d.id, "target": str(d.target), "outcome": outcome, "requests": requests})
            continue
        console.print(t("acct.dry_title", id=d.id, target=d.target), style="bold", markup=False)
        for r in p.requests:
            console.print(r.render(), markup=False)
            console.print("")
        console.print(t("acct.dry_result", outcome=outcome), markup=False)
    if as_json:
        emit_json(dump)


COMMANDS: list[click.Command] = [publish]
