"""Alerts: once per incident, in Vietnamese, over a real local SMTP server (aiosmtpd) and a local
HTTP receiver; nothing is sent twice, not even by a new worker process after a restart."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from publisher.actions import alerts
from publisher.core.states import State
from publisher.platforms.base import Credentials
from publisher.settings import Settings
from publisher.store import schema as s
from publisher.store import schema_engagement as e
from publisher.store.repo import Store
from tests.conftest import make_settings
from tests.test_engagement import account, delivery, post

NOW = datetime(2025, 5, 5, 3, 0, tzinfo=UTC)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd API)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    with socket.socket() as probe:  # a free port (aiosmtpd checks the server by connecting to it)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Hook)
        self.bodies: list[dict[str, Any]] = []
        self.status = 200


class Hook(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802 (http.server API)
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length).decode("utf-8"))
        if self.server.status == 200:
            self.server.bodies.append(body)
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def configured(base: Settings, smtp_port: int | None, hook: Receiver | None) -> Settings:
    values: dict[str, Any] = {}
    if smtp_port is not None:
        values.update(
            smtp_host="127.0.0.1",
            smtp_port=smtp_port,
            smtp_starttls=False,
            email_from="publisher@xa.vn",
            email_to=["can-bo@xa.vn", "chu-tich@xa.vn"],
        )
    if hook is not None:
        values["webhook_url"] = f"http://127.0.0.1:{hook.server_address[1]}/alerts"
    return base.model_copy(update={"alerts": base.alerts.model_copy(update=values)})


def subject(m: Message) -> str:
    return str(make_header(decode_header(m["Subject"])))


def text(m: Message) -> str:
    payload = m.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(m.get_content_charset() or "utf-8")


def failed_delivery(store: Store) -> int:
    acct = account(store, "facebook/xa")
    pid = post(store, "hop-dan", NOW - timedelta(hours=2), title="Thông báo họp dân")
    return delivery(
        store, pid, acct, NOW - timedelta(hours=2), state=State.FAILED, reason="(#100) Tham số không hợp lệ"
    )


def test_failed_delivery_one_email_and_one_webhook_even_after_restart(
    store: Store, smtp: tuple[Inbox, int], hook: Receiver
) -> None:
    inbox, port = smtp
    did = failed_delivery(store)
    cfg = configured(store.settings, port, hook)
    report = alerts.notify(store, cfg, NOW)
    assert report.raised == [f"delivery:{did}:failed:20250505T010000"]
    assert sorted(c for _, c in report.sent) == ["email", "webhook"]
    (mail,) = inbox.messages
    assert subject(mail) == "[Đăng bài] Không đăng được bài “hop-dan” lên facebook/xa"
    body = text(mail)
    assert (
        "Thông báo họp dân" in body
        and "(#100) Tham số không hợp lệ" in body
        and "publisher retry hop-dan" in body
    )
    assert mail["To"] == "can-bo@xa.vn, chu-tich@xa.vn"
    (sent,) = hook.bodies
    assert sent["title"] == "Không đăng được bài “hop-dan” lên facebook/xa" and sent["delivery_id"] == did

    # the same process again, then a "restarted worker": a new Store on the same database
    alerts.notify(store, cfg, NOW + timedelta(minutes=2))
    restarted = Store(store.settings)
    try:
        again = alerts.notify(restarted, cfg, NOW + timedelta(hours=1))
    finally:
        restarted.db.dispose()
    assert again.raised == [] and again.sent == []
    assert len(inbox.messages) == 1 and len(hook.bodies) == 1
    with store.db.read() as conn:
        (row,) = conn.execute(select(e.alerts)).all()
    assert row.channel == "email,webhook" and row.sent_at is not None


def test_concurrent_workers_send_once(store: Store, hook: Receiver) -> None:
    failed_delivery(store)
    cfg = configured(store.settings, None, hook)
    barrier = threading.Barrier(4)
    reports: list[alerts.AlertReport] = []

    def worker() -> None:
        own = Store(store.settings)
        barrier.wait()
        try:
            reports.append(alerts.notify(own, cfg, NOW))
        finally:
            own.db.dispose()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(hook.bodies) == 1
    assert sum(len(r.sent) for r in reports) == 1


def test_a_failed_channel_is_retried_alone(store: Store, smtp: tuple[Inbox, int], hook: Receiver) -> None:
    inbox, port = smtp
    failed_delivery(store)
    cfg = configured(store.settings, port, hook)
    hook.status = 500
    first = alerts.notify(store, cfg, NOW)
    assert [c for _, c in first.sent] == ["email"] and [c for _, c, _ in first.errors] == ["webhook"]
    hook.status = 200
    second = alerts.notify(store, cfg, NOW + timedelta(minutes=2))
    assert [c for _, c in second.sent] == ["webhook"]
    assert len(inbox.messages) == 1 and len(hook.bodies) == 1
    assert alerts.notify(store, cfg, NOW + timedelta(minutes=4)).sent == []


def test_missed_reauth_and_expiry_warnings(store: Store, hook: Receiver) -> None:
    cfg = configured(store.settings, None, hook)
    acct = account(store, "zalo/xa")
    pid = post(store, "le", NOW - timedelta(hours=8), title="Lễ kỷ niệm")
    delivery(store, pid, acct, NOW - timedelta(hours=8), state=State.MISSED, reason="Quá hạn chót")
    yt = account(store, "youtube/xa")
    store.set_account_status(yt, "needs_reauth", "invalid_grant")
    for key in ("a", "b"):  # two deliveries wait for the re-authorisation
        delivery(
            store,
            post(store, key, NOW + timedelta(days=1)),
            yt,
            NOW + timedelta(days=1),
            state=State.NEEDS_REAUTH,
        )
    # Zalo: refresh window ends in 3 days; Facebook: a token without refresh token ends in 5 days
    store.save_credentials(
        acct,
        Credentials(
            access_token="z",
            refresh_token="r",
            expires_at=NOW + timedelta(hours=20),
            refresh_expires_at=NOW + timedelta(days=3),
        ),
    )
    fb = account(store, "facebook/xa", Credentials(access_token="f", expires_at=NOW + timedelta(days=5)))
    # far away or self-renewing: no warning
    account(store, "facebook/xa2", Credentials(access_token="f", expires_at=NOW + timedelta(days=40)))

    report = alerts.notify(store, cfg, NOW)
    kinds = sorted(b["kind"] for b in hook.bodies)
    assert kinds == ["missed", "needs_reauth", "refresh_expiry", "token_expiry"]
    by_kind = {b["kind"]: b for b in hook.bodies}
    assert by_kind["missed"]["title"] == "Lỡ giờ đăng bài “le” trên zalo/xa"
    assert "2 lượt đăng đang chờ" in by_kind["needs_reauth"]["text"]
    assert "invalid_grant" in by_kind["needs_reauth"]["text"]
    assert (
        by_kind["refresh_expiry"]["account_id"] == acct and "còn 3 ngày" in by_kind["refresh_expiry"]["text"]
    )
    assert by_kind["token_expiry"]["account_id"] == fb and "còn 5 ngày" in by_kind["token_expiry"]["text"]
    assert len(report.raised) == 4
    assert alerts.notify(store, cfg, NOW + timedelta(hours=6)).raised == []  # still the same incidents
    assert len(hook.bodies) == 4


def test_a_new_failure_after_a_retry_is_a_new_incident(store: Store, hook: Receiver) -> None:
    cfg = configured(store.settings, None, hook)
    did = failed_delivery(store)
    alerts.notify(store, cfg, NOW)
    with store.db.write() as conn:  # retried and failed again later
        conn.execute(
            update(s.deliveries).where(s.deliveries.c.id == did).values(updated_at=NOW + timedelta(hours=1))
        )
    alerts.notify(store, cfg, NOW + timedelta(hours=1, minutes=5))
    assert len(hook.bodies) == 2


def test_no_channel_configured_sends_and_records_nothing(store: Store) -> None:
    failed_delivery(store)
    assert alerts.notify(store, store.settings, NOW).raised == []
    with store.db.read() as conn:
        assert conn.execute(select(e.alerts)).all() == []


def test_english_when_asked(tmp_path: Path, hook: Receiver) -> None:
    from publisher.i18n import set_language

    st = Store(make_settings(tmp_path))
    st.init()
    try:
        failed_delivery(st)
        set_language("en")
        alerts.notify(st, configured(st.settings, None, hook), NOW)
    finally:
        st.db.dispose()
    assert hook.bodies[0]["title"] == "Could not publish “hop-dan” to facebook/xa"


def test_one_message_across_real_worker_restarts(tmp_path: Path, hook: Receiver) -> None:
    """Two separate processes (a worker, then the same worker restarted) scan the same incident."""
    import os
    import subprocess
    import sys

    st = Store(make_settings(tmp_path))
    st.init()
    try:
        acct = account(st, "facebook/xa")
        when = datetime.now(UTC) - timedelta(hours=1)
        delivery(st, post(st, "hop-dan", when), acct, when, state=State.FAILED, reason="(#100)")
    finally:
        st.db.dispose()
    env = {
        **os.environ,
        "PUBLISHER_DATA_DIR": str(st.settings.data_dir),
        "PUBLISHER_ALERTS__WEBHOOK_URL": f"http://127.0.0.1:{hook.server_address[1]}/alerts",
    }
    code = (
        "from publisher.actions import alerts; from publisher.store import Store; from publisher.settings import Settings; "
        "r = alerts.notify(Store(Settings(_env_file=None))); print(len(r.sent))"
    )
    root = Path(__file__).resolve().parents[1]
    outputs = [
        subprocess.run(
            [sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True, timeout=60
        )
        for _ in range(2)
    ]
    assert [o.stdout.strip() for o in outputs] == ["1", "0"], [o.stderr for o in outputs]
    assert (
        len(hook.bodies) == 1 and hook.bodies[0]["title"] == "Không đăng được bài “hop-dan” lên facebook/xa"
    )


#: a command the officer is told to run, as the alert quotes it
COMMAND = re.compile(r"“(publisher accounts (?:connect|update) [^”]+)”")


def reauth_body(store: Store, target: str, remote_id: str | None) -> str:
    acct = account(store, target, Credentials(access_token="t", remote_account_id=remote_id))
    store.set_account_status(acct, "needs_reauth", "(#190) 460")
    delivery(
        store,
        post(store, "bai", NOW + timedelta(hours=1)),
        acct,
        NOW + timedelta(hours=1),
        state=State.NEEDS_REAUTH,
    )
    [inc] = [i for i in alerts.scan(store, NOW) if i.kind == "needs_reauth"]
    return inc.body


@pytest.mark.parametrize(
    ("target", "remote_id", "connect", "update"),
    [
        (
            "facebook/ubnd-xa",
            "1647395831",
            "publisher accounts connect facebook ubnd-xa --page-id 1647395831",
            "publisher accounts update facebook/ubnd-xa --token-stdin",
        ),
        (
            "youtube/xa-tv",
            None,
            "publisher accounts connect youtube xa-tv",
            "publisher accounts update youtube/xa-tv --token-stdin --refresh-token-stdin",
        ),
        (
            "zalo/xa",
            "579745863508352884",
            "publisher accounts connect zalo xa --oa-id 579745863508352884",
            "publisher accounts update zalo/xa --token-stdin --refresh-token-stdin",
        ),
        ("sandbox/demo", None, None, "publisher accounts update sandbox/demo --token-stdin"),
    ],
)
def test_reauth_alert_names_commands_that_exist_and_says_what_happens_next(
    store: Store, target: str, remote_id: str | None, connect: str | None, update: str
) -> None:
    """The commands themselves are run through the CLI in tests/cli/test_accounts_cli.py."""
    body = reauth_body(store, target, remote_id)
    commands = COMMAND.findall(body)
    assert commands == ([connect] if connect else []) + [update]
    assert "sẽ tự được đăng" in body and "không cần “publisher retry”" in body
    assert "đã qua hạn chót" in body and "“đã lỡ giờ”" in body
    assert "1 lượt đăng đang chờ (hạn chót sớm nhất: 05/05/2025 17:00)" in body


def test_reauth_alert_in_english(store: Store) -> None:
    from publisher.i18n import set_language

    set_language("en")
    body = reauth_body(store, "youtube/xa-tv", None)
    assert "“publisher accounts connect youtube xa-tv”" in body
    assert "go out by themselves" in body and "no “publisher retry” needed" in body
    assert "past their deadline become “missed”" in body
    assert "will then go out" not in body


def test_expiry_warnings_name_a_working_command(store: Store) -> None:
    fb = account(
        store,
        "facebook/xa",
        Credentials(access_token="f", expires_at=NOW + timedelta(days=5), remote_account_id="1647395831"),
    )
    zalo = account(
        store,
        "zalo/xa",
        Credentials(
            access_token="z",
            refresh_token="r",
            expires_at=NOW + timedelta(hours=20),
            refresh_expires_at=NOW + timedelta(days=3),
        ),
    )
    found = {(i.account_id, i.kind): i.body for i in alerts.scan(store, NOW)}
    assert COMMAND.findall(found[(fb, "token_expiry")])[0] == (
        "publisher accounts connect facebook xa --page-id 1647395831"
    )
    assert COMMAND.findall(found[(zalo, "refresh_expiry")])[0] == "publisher accounts connect zalo xa"
