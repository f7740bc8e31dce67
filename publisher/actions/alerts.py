"""Alerts: the officer is told once per incident, in Vietnamese, by e-mail and/or a webhook.

Incidents are read from the store, not pushed by the publishing code, so nothing is lost when a
worker dies between a state change and its message:

- a delivery ``failed`` (permanently) or ``missed``: key ``delivery:<id>:<state>:<time of the change>``
  (a delivery retried and failing again is a new incident);
- an account ``needs_reauth``: key ``account:<id>:needs_reauth:<time of the change>``;
- an access token that cannot renew itself (no refresh token) or a refresh window that ends within
  ``settings.alerts.token_warning_days``: key ``account:<id>:token_expiry:<expiry time>`` (or
  ``refresh_expiry``).

Once per incident: the ``alerts`` row is created with the incident key (UNIQUE) before anything is
sent; a sender claims it with a conditional UPDATE (``claimed_at`` lease, so two workers never both
send), sends on every configured channel not yet done, and records ``sent_at``. A restart finds
the row and sends nothing again. A channel that failed is tried again at the next scan, alone.
The one window left: a worker killed after the SMTP server accepted the message and before
``sent_at`` is committed sends it again after the lease (:data:`LEASE`); at most one duplicate.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import requests

from publisher.actions.accounts import reconnect_commands
from publisher.core.models import Target
from publisher.core.states import State
from publisher.i18n import register, t
from publisher.settings import AlertSettings, Settings
from publisher.store import alerts as ledger
from publisher.store.repo import Store

log = logging.getLogger(__name__)

register(
    {
        "alerts.subject": ("[Đăng bài] {title}", "[Publisher] {title}"),
        "alerts.failed.title": (
            "Không đăng được bài “{key}” lên {target}",
            "Could not publish “{key}” to {target}",
        ),
        "alerts.failed.body": (
            "Bài “{post}” (mã {key}) không đăng được lên {target} và sẽ không tự thử lại.\n"
            "Giờ đăng dự kiến: {due}.\nLý do: {reason}\n\n"
            "Sửa nguyên nhân rồi dùng “publisher retry {key}” để đăng lại.",
            "Post “{post}” ({key}) could not be published to {target} and will not be retried.\n"
            "Due: {due}.\nReason: {reason}\n\nFix the cause, then run “publisher retry {key}”.",
        ),
        "alerts.missed.title": ("Lỡ giờ đăng bài “{key}” trên {target}", "Missed “{key}” on {target}"),
        "alerts.missed.body": (
            "Bài “{post}” (mã {key}) chưa được đăng lên {target} trước hạn chót ({deadline}); "
            "hệ thống đã dừng, không đăng muộn.\nGiờ đăng dự kiến: {due}.\nLý do: {reason}\n\n"
            "Nếu vẫn cần đăng, dùng “publisher retry {key}”.",
            "Post “{post}” ({key}) was not published to {target} before its deadline ({deadline}); "
            "it will not be published late.\nDue: {due}.\nReason: {reason}\n\n"
            "If it is still wanted, run “publisher retry {key}”.",
        ),
        "alerts.reauth.title": (
            "Tài khoản {target} cần đăng nhập lại",
            "Account {target} needs re-authorisation",
        ),
        "alerts.reauth.body": (
            "Nền tảng đã từ chối quyền truy cập của tài khoản {target}. {n} lượt đăng đang chờ{earliest}.\n"
            "Lý do: {reason}\n\n{how}\n\n"
            "Ngay khi kết nối lại, các lượt đăng đang chờ còn trong thời gian cho phép sẽ tự được đăng, "
            "không cần “publisher retry”; lượt nào đã qua hạn chót sẽ chuyển sang “đã lỡ giờ” kèm lý do.",
            "The platform refused the access of account {target}. {n} deliveries are waiting{earliest}.\n"
            "Reason: {reason}\n\n{how}\n\n"
            "As soon as it is reconnected, the waiting deliveries still within their grace window go out by "
            "themselves (no “publisher retry” needed); those past their deadline become “missed”, with the reason.",
        ),
        "alerts.reauth.earliest": (" (hạn chót sớm nhất: {deadline})", " (earliest deadline: {deadline})"),
        "alerts.reauth.connect": (
            "Kết nối lại bằng “{connect}”. Trên máy chủ không có trình duyệt, nạp token mới bằng “{update}” "
            "(token đọc từ stdin, mỗi token một dòng, không hiện ra màn hình).",
            "Reconnect with “{connect}”. On a server with no browser, load new tokens with “{update}” "
            "(read from stdin, one token a line, never shown).",
        ),
        "alerts.reauth.update": (
            "Nạp token mới bằng “{update}” (token đọc từ stdin, mỗi token một dòng, không hiện ra màn hình).",
            "Load new tokens with “{update}” (read from stdin, one token a line, never shown).",
        ),
        "alerts.token.title": (
            "Quyền truy cập của {target} sắp hết hạn ({when})",
            "Access of {target} expires soon ({when})",
        ),
        "alerts.token.body": (
            "Mã truy cập của tài khoản {target} hết hạn lúc {when} (còn {days} ngày) và không tự gia hạn được.\n"
            "Kết nối lại trước thời điểm đó bằng “{command}” để bài không bị lỡ.",
            "The access token of {target} expires at {when} ({days} days left) and cannot renew itself.\n"
            "Reconnect before then with “{command}” so no post is missed.",
        ),
        "alerts.refresh.title": (
            "Thời hạn gia hạn quyền của {target} sắp hết ({when})",
            "Refresh window of {target} ends soon ({when})",
        ),
        "alerts.refresh.body": (
            "Quyền gia hạn (refresh token) của tài khoản {target} hết hạn lúc {when} (còn {days} ngày).\n"
            "Kết nối lại bằng “{command}” trước thời điểm đó.",
            "The refresh token of {target} expires at {when} ({days} days left).\n"
            "Reconnect with “{command}” before then.",
        ),
        "alerts.no_reason": ("(không rõ)", "(unknown)"),
    }
)

#: a claimed alert not marked sent within this long is tried again (the sender died)
LEASE = timedelta(minutes=10)
#: incidents older than this are not raised any more (e.g. channels configured long afterwards)
LOOKBACK = timedelta(days=7)
MAX_ATTEMPTS = 20
EMAIL, WEBHOOK = "email", "webhook"


@dataclass(frozen=True)
class Incident:
    key: str
    kind: str
    subject: str
    body: str
    delivery_id: int | None = None
    account_id: int | None = None


@dataclass
class AlertReport:
    raised: list[str] = field(default_factory=list)  # incident keys recorded now
    sent: list[tuple[str, str]] = field(default_factory=list)  # key, channel
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # key, channel, error


def channels(cfg: AlertSettings) -> list[str]:
    out: list[str] = []
    if cfg.smtp_host and cfg.email_to and cfg.email_from:
        out.append(EMAIL)
    if cfg.webhook_url:
        out.append(WEBHOOK)
    return out


def local_time(value: datetime | None, tz: str) -> str:
    return value.astimezone(ZoneInfo(tz)).strftime("%d/%m/%Y %H:%M") if value else "—"


def _stamp(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%S") if value else "-"


def scan(store: Store, now: datetime) -> list[Incident]:
    """Every incident the officer should know about at ``now``."""
    settings = store.settings
    tz = settings.timezone
    out: list[Incident] = []
    read = ledger.incident_rows(store.db, now - LOOKBACK)
    counts: dict[int, int] = {}
    earliest: dict[int, datetime] = {}  # the first deadline still open, per account
    for account_id, deadline in read.waiting_reauth:
        counts[account_id] = counts.get(account_id, 0) + 1
        if deadline >= now and (account_id not in earliest or deadline < earliest[account_id]):
            earliest[account_id] = deadline
    for r in read.stopped:
        target = f"{r.platform}/{r.name}"
        kind = "failed" if r.state == State.FAILED.value else "missed"
        title = t(f"alerts.{kind}.title", key=r.key, target=target)
        body = t(
            f"alerts.{kind}.body",
            post=r.title,
            key=r.key,
            target=target,
            due=local_time(r.due_at, tz),
            deadline=local_time(r.deadline, tz),
            reason=r.last_reason or r.last_code or t("alerts.no_reason"),
        )
        out.append(
            Incident(f"delivery:{r.id}:{kind}:{_stamp(r.updated_at)}", kind, title, body, delivery_id=r.id)
        )
    warn = timedelta(days=settings.alerts.token_warning_days)
    for a in read.accounts:
        target = f"{a.platform}/{a.name}"
        commands = reconnect_commands(Target.parse(target), a.remote_id)
        if a.status == "needs_reauth":
            title = t("alerts.reauth.title", target=target)
            first = earliest.get(a.id)
            body = t(
                "alerts.reauth.body",
                target=target,
                n=counts.get(a.id, 0),
                earliest=t("alerts.reauth.earliest", deadline=local_time(first, tz)) if first else "",
                reason=a.status_reason or t("alerts.no_reason"),
                how=t("alerts.reauth.connect", connect=commands[0], update=commands[1])
                if len(commands) > 1
                else t("alerts.reauth.update", update=commands[0]),
            )
            out.append(
                Incident(
                    f"account:{a.id}:needs_reauth:{_stamp(a.updated_at)}",
                    "needs_reauth",
                    title,
                    body,
                    account_id=a.id,
                )
            )
            continue
        # a token with a refresh token renews itself: only the one that cannot is worth a warning
        expiring = a.token_expires_at is not None and now < a.token_expires_at <= now + warn
        if expiring and not store.credentials(a.id).refresh_token:
            out.append(_expiry(a.id, target, "token", a.token_expires_at, now, tz, commands[0]))
        if a.refresh_expires_at and now < a.refresh_expires_at <= now + warn:
            out.append(_expiry(a.id, target, "refresh", a.refresh_expires_at, now, tz, commands[0]))
    return out


def _expiry(
    account_id: int, target: str, kind: str, when: datetime, now: datetime, tz: str, command: str
) -> Incident:
    shown = local_time(when, tz)
    days = max(0, (when - now).days)
    return Incident(
        f"account:{account_id}:{kind}_expiry:{_stamp(when)}",
        f"{kind}_expiry",
        t(f"alerts.{kind}.title", target=target, when=shown),
        t(f"alerts.{kind}.body", target=target, when=shown, days=days, command=command),
        account_id=account_id,
    )


def record(store: Store, incidents: list[Incident], now: datetime) -> list[str]:
    """Insert the incidents not seen before; the UNIQUE key makes this safe under concurrency."""
    return [
        inc.key
        for inc in incidents
        if ledger.record(
            store.db, inc.key, inc.kind, inc.subject, inc.body, now, inc.delivery_id, inc.account_id
        )
    ]


Sender = Callable[[AlertSettings, str, str, dict[str, Any]], None]


def send_email(cfg: AlertSettings, subject: str, body: str, data: dict[str, Any]) -> None:
    message = EmailMessage()
    message["Subject"] = t("alerts.subject", title=subject)
    message["From"] = cfg.email_from or ""
    message["To"] = ", ".join(cfg.email_to)
    message.set_content(body, charset="utf-8")
    with smtplib.SMTP(cfg.smtp_host or "localhost", cfg.smtp_port, timeout=30) as smtp:
        if cfg.smtp_starttls:
            smtp.starttls()
        if cfg.smtp_user and cfg.smtp_password:
            smtp.login(cfg.smtp_user, cfg.smtp_password.get_secret_value())
        smtp.send_message(message)


def send_webhook(cfg: AlertSettings, subject: str, body: str, data: dict[str, Any]) -> None:
    response = requests.post(
        cfg.webhook_url or "",
        json={"title": subject, "text": body, **data},
        timeout=(10, 30),
    )
    if not response.ok:
        raise RuntimeError(f"webhook answered HTTP {response.status_code}")


SENDERS: dict[str, Sender] = {EMAIL: send_email, WEBHOOK: send_webhook}


def notify(
    store: Store,
    settings: Settings | None = None,
    now: datetime | None = None,
    *,
    senders: dict[str, Sender] | None = None,
) -> AlertReport:
    """Scan, record new incidents and send whatever is not sent yet. Safe to run anywhere, any time."""
    settings = settings or store.settings
    now = now or datetime.now(UTC)
    senders = senders or SENDERS
    report = AlertReport()
    wanted = channels(settings.alerts)
    if not wanted:
        return report
    report.raised = record(store, scan(store, now), now)
    for row in ledger.unsent(store.db, MAX_ATTEMPTS):
        if not ledger.claim(store.db, row.id, now, LEASE):
            continue
        done = [c for c in (row.channel or "").split(",") if c]
        errors: list[str] = []
        data = {
            "incident": row.incident_key,
            "kind": row.kind,
            "delivery_id": row.delivery_id,
            "account_id": row.account_id,
        }
        for channel in wanted:
            if channel in done:
                continue
            try:
                senders[channel](settings.alerts, row.subject, row.body, data)
            except Exception as exc:  # recorded on the row and tried again at the next scan
                log.warning("alert %s over %s failed: %s", row.incident_key, channel, exc)
                errors.append(f"{channel}: {exc}")
                report.errors.append((row.incident_key, channel, str(exc)))
                continue
            done.append(channel)
            report.sent.append((row.incident_key, channel))
        ledger.finish(
            store.db,
            row.id,
            done,
            sent_at=None if errors else datetime.now(UTC),
            claimed_at=now if not errors else None,
            last_error="; ".join(errors) or None,
        )
    return report
