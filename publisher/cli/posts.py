"""``publisher list``, ``show`` and ``status``: what is queued, one post in full, and the overview."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import click

from publisher.actions.alive import liveness
from publisher.actions.status import overview
from publisher.cli.common import bi, handle_errors, open_store, parse_target, parse_time
from publisher.cli.output import console, emit_json, local_time, print_rows
from publisher.core.schedule import format_hours
from publisher.core.states import State, label
from publisher.i18n import register, t
from publisher.store.heartbeats import Heartbeats

register(
    {
        "cli.show_cancel_pending": (
            "Lượt {id} ({target}): {by} đã yêu cầu hủy lúc {at}; đang kiểm tra bài đã lên nền tảng hay chưa.",
            "Delivery {id} ({target}): {by} asked to cancel it at {at}; checking whether it reached the platform.",
        ),
        "cli.show_cancel_too_late": (
            "Lượt {id} ({target}) ĐÃ LÊN nền tảng dù {by} đã yêu cầu hủy lúc {at}: {link} — gỡ bài trên "
            "nền tảng nếu không muốn giữ.",
            "Delivery {id} ({target}) is LIVE on the platform although {by} asked to cancel it at {at}: "
            "{link} — remove it there if it must go.",
        ),
        "cli.attempt.publish": ("gửi lần {n}", "send {n}"),
        "cli.attempt.poll": ("theo dõi lần gửi {n} ({i})", "follow-up {i} of send {n}"),
        "cli.attempt.reconcile": ("đối soát lần gửi {n} ({i})", "look-up {i} of send {n}"),
        "cli.status_paused": (
            "ĐANG TẠM DỪNG từ {at} bởi {by}: {reason}",
            "PAUSED since {at} by {by}: {reason}",
        ),
        "cli.status_running": ("Đang hoạt động (không tạm dừng).", "Running (not paused)."),
        "cli.status_upcoming": ("Sắp đăng", "Upcoming"),
        "cli.status_recent": ("Kết quả gần đây", "Recent results"),
        "cli.status_attention": ("Cần chú ý", "Needs attention"),
        "cli.status_accounts": (
            "Tài khoản cần đăng nhập lại: {items}",
            "Accounts needing re-authorisation: {items}",
        ),
        "cli.status_counts": ("Tổng số theo trạng thái: {items}", "Totals by state: {items}"),
        "cli.show_post": (
            "Bài {key}: {title}\nHẹn giờ: {due} ({tz}) · cho phép muộn {grace} · chiến dịch: {campaign}\n"
            "Người xếp lịch: {queued_by} · Người duyệt: {approved_by}\nTệp: {file}:{line}",
            "Post {key}: {title}\nDue: {due} ({tz}) · grace {grace} · campaign: {campaign}\n"
            "Queued by: {queued_by} · Approved by: {approved_by}\nFile: {file}:{line}",
        ),
    }
)

_JSON = bi("Xuất JSON.", "Output JSON.")


def _delivery_json(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "post": r.key,
        "target": f"{r.platform}/{r.name}",
        "state": r.state,
        "due_at": r.due_at,
        "due_local": local_time(r.due_at, r.timezone),
        "timezone": r.timezone,
        "title": r.title,
        "attempts": r.attempts,
        "remote_id": r.remote_id,
        "remote_url": r.remote_url,
        "last_code": r.last_code,
        "last_reason": r.last_reason,
        "published_at": r.published_at,
        "progress": r.progress,
    }


@click.command("list", help=bi("Liệt kê các lượt đăng.", "List deliveries."))
@click.option(
    "--status",
    "status",
    multiple=True,
    type=click.Choice([s.value for s in State]),
    help=bi("Lọc theo trạng thái (dùng nhiều lần được).", "Filter by state (repeatable)."),
)
@click.option("--from", "since", default=None, help=bi("Từ ngày (2025-04-01).", "From date (2025-04-01)."))
@click.option("--to", "until", default=None, help=bi("Đến ngày.", "To date."))
@click.option("--account", default=None, help=bi("Chỉ một tài khoản.", "One account only."))
@click.option("--json", "as_json", is_flag=True, help=_JSON)
@handle_errors
def list_(
    status: tuple[str, ...], since: str | None, until: str | None, account: str | None, as_json: bool
) -> None:
    rows = open_store().deliveries(
        states=list(status) or None,
        since=parse_time(since),
        until=parse_time(until, end=True),
        account=parse_target(account) if account else None,
    )
    if as_json:
        emit_json([_delivery_json(r) for r in rows])
        return
    print_rows(None, ("id", "time", "post", "target", "state", "title"), [_list_row(r) for r in rows])


def _list_row(r: Any) -> tuple[Any, ...]:
    return (r.id, local_time(r.due_at, r.timezone), r.key, _target(r), label(r.state), _short(r.title))


def _target(r: Any) -> str:
    return f"{r.platform}/{r.name}"


def _result(r: Any) -> str:
    return str(r.remote_url or r.last_reason or "")


def _short(text: str | None, n: int = 48) -> str:
    if not text:
        return ""
    return text if len(text) <= n else text[: n - 1] + "…"


@click.command(
    "show",
    help=bi(
        "Xem chi tiết một bài: lượt đăng, các lần thử, nhật ký.",
        "Show a post: deliveries, attempts, audit trail.",
    ),
)
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help=_JSON)
@handle_errors
def show(ref: str, as_json: bool) -> None:
    d = open_store().post_detail(ref)
    p = d["post"]
    labels = _attempt_labels(d["attempts"])
    if as_json:
        emit_json(_show_json(d, labels))
        return
    console.print(
        t(
            "cli.show_post",
            key=p.key,
            title=p.title,
            due=local_time(p.due_at, p.timezone),
            tz=p.timezone,
            grace=format_hours(p.grace_seconds / 3600),
            campaign=p.campaign or "—",
            queued_by=p.queued_by,
            approved_by=p.approved_by or "—",
            file=p.source_file or "—",
            line=p.source_line or "",
        ),
        markup=False,
    )
    rows = [(r.id, _target(r), label(r.state), _result(r)) for r in d["deliveries"]]
    print_rows(None, ("id", "target", "state", "result"), rows)
    _show_cancel_requests(d["deliveries"], p.timezone)
    if d["attempts"]:
        rows = [_attempt_row(a, lab, p.timezone) for a, lab in zip(d["attempts"], labels, strict=True)]
        print_rows(None, ("id", "attempt", "when", "state", "code", "result"), rows)
    print_rows(None, ("when", "who", "what", "detail"), [_audit_row(a, p.timezone) for a in d["audit"]])


def _attempt_row(a: Any, lab: str, tz: str) -> tuple[Any, ...]:
    return (
        a.delivery_id,
        lab,
        local_time(a.started_at, tz),
        a.outcome or "…",
        a.code,
        a.reason or a.remote_id,
    )


def _audit_row(a: Any, tz: str) -> tuple[Any, ...]:
    detail = ", ".join(f"{k}={v}" for k, v in (a.detail or {}).items())
    return (local_time(a.at, tz), a.actor, a.action, detail)


def _show_json(d: dict[str, Any], labels: list[str]) -> dict[str, Any]:
    p = d["post"]
    return {
        "post": {k: v for k, v in p._mapping.items()},
        "deliveries": [
            _delivery_json(_with(r, title=p.title, timezone=p.timezone))
            | {
                "timezone": p.timezone,
                "title": p.title,
                "cancel_requested_at": r.cancel_requested_at,
                "cancel_requested_by": r.cancel_requested_by,
            }
            for r in d["deliveries"]
        ],
        "attempts": [dict(a._mapping) | {"label": lab} for a, lab in zip(d["attempts"], labels, strict=True)],
        "audit": [dict(a._mapping) for a in d["audit"]],
    }


def _attempt_labels(attempts: Sequence[Any]) -> list[str]:
    """ "send 2", "follow-up 1 of send 2", "look-up 3 of send 2": a poll or a look-up carries the
    number of the send it follows, so it must not read as another try."""
    seen: dict[tuple[Any, int, str], int] = {}
    out = []
    for a in attempts:
        key = (a.delivery_id, int(a.number), str(a.kind))
        seen[key] = seen.get(key, 0) + 1
        kind = a.kind if a.kind in ("publish", "poll", "reconcile") else "poll"
        out.append(t(f"cli.attempt.{kind}", n=a.number, i=seen[key]))
    return out


def _show_cancel_requests(deliveries: Sequence[Any], tz: str) -> None:
    """A cancel request still open, or one that came too late (the post is live)."""
    for r in deliveries:
        if r.cancel_requested_at is None:
            continue
        where = dict(id=r.id, target=f"{r.platform}/{r.name}", by=r.cancel_requested_by or "?")
        at = local_time(r.cancel_requested_at, tz)
        if r.state == State.PUBLISHED.value:
            link = r.remote_url or r.remote_id or "—"
            console.print(
                t("cli.show_cancel_too_late", **where, at=at, link=link), style="bold red", markup=False
            )
        else:
            console.print(t("cli.show_cancel_pending", **where, at=at), style="bold yellow", markup=False)


class _with:
    """A row with a few extra attributes (for JSON output of joined data)."""

    def __init__(self, row: Any, **extra: Any) -> None:
        self._row = row
        self._extra = extra

    def __getattr__(self, name: str) -> Any:
        if name in self._extra:
            return self._extra[name]
        return getattr(self._row, name)


@click.command(
    "status",
    help=bi(
        "Tình hình: sắp đăng, kết quả gần đây, tạm dừng hay không, tài khoản cần chú ý.",
        "Status: upcoming, recent results, paused or not, accounts needing attention.",
    ),
)
@click.option("--json", "as_json", is_flag=True, help=_JSON)
@handle_errors
def status(as_json: bool) -> None:
    store = open_store()
    o = overview(store)
    alive = liveness(Heartbeats(store.db))
    if as_json:
        emit_json(
            {
                "alive": [{"text": x.text, "ok": x.ok} for x in alive.lines],
                "paused": o.pause,
                "upcoming": [_delivery_json(r) for r in o.upcoming],
                "recent": [_delivery_json(r) for r in o.recent],
                "accounts_needing_reauth": [f"{a.platform}/{a.name}" for a in o.reauth],
                "counts": o.counts,
            }
        )
        return
    if o.pause:
        at = local_time(datetime.fromisoformat(o.pause["at"]))
        console.print(
            t("cli.status_paused", at=at, by=o.pause["by"], reason=o.pause["reason"]),
            style="bold red",
            markup=False,
        )
    else:
        console.print(t("cli.status_running"), markup=False)
    upcoming = [(local_time(r.due_at, r.timezone), r.key, _target(r), _progress(r)) for r in o.upcoming]
    print_rows(t("cli.status_upcoming"), ("time", "post", "target", "state"), upcoming)
    recent = [
        (local_time(r.due_at, r.timezone), r.key, _target(r), label(r.state), _result(r)) for r in o.recent
    ]
    print_rows(t("cli.status_recent"), ("time", "post", "target", "state", "result"), recent)
    if o.reauth:
        items = ", ".join(f"{a.platform}/{a.name}" for a in o.reauth)
        console.print(t("cli.status_accounts", items=items), style="bold yellow", markup=False)
    counts = ", ".join(f"{label(k)}: {v}" for k, v in sorted(o.counts.items()))
    console.print(t("cli.status_counts", items=counts), markup=False)
    for line in alive.lines:
        console.print(line.text, style=None if line.ok else "bold yellow", markup=False)


def _progress(r: Any) -> str:
    return label(r.state) + (f" {r.progress}%" if r.progress is not None else "")


COMMANDS: list[click.Command] = [list_, show, status]
