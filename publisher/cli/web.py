"""``publisher web``: the web app alone (``publisher run`` serves it beside the workers)."""

from __future__ import annotations

import click

from publisher.cli.common import bi, handle_errors, open_store, settings
from publisher.cli.output import console
from publisher.i18n import register, t
from publisher.web.server import address, serve

register(
    {
        "web.serving": (
            "Trang web: {url}  (Ctrl+C để dừng)",
            "Web app: {url}  (Ctrl+C to stop)",
        ),
    }
)


@click.command(
    "web",
    help=bi(
        "Chạy riêng trang web (publisher run đã chạy trang web cùng các tiến trình đăng bài).",
        "Run the web app alone (publisher run already serves it beside the workers).",
    ),
)
@click.option("--host", default=None, help=bi("Địa chỉ lắng nghe.", "Address to listen on."))
@click.option("--port", type=int, default=None, help=bi("Cổng.", "Port."))
@handle_errors
def web(host: str | None, port: int | None) -> None:
    st = settings()
    if host:
        st.web.host = host
    if port:
        st.web.port = port
    store = open_store()
    console.print(t("web.serving", url=address(st)), markup=False)
    serve(st, store)


COMMANDS: list[click.Command] = [web]
