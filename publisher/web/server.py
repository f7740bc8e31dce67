"""Serving the web app with uvicorn: ``publisher web``, and the web process of ``publisher run``.

``python -m publisher.web.server`` is what ``publisher run`` starts beside the worker pools (and
restarts if it dies); it reads the same settings (``PUBLISHER_WEB__HOST``, ``PUBLISHER_WEB__PORT``).
"""

from __future__ import annotations

import gc

from publisher.settings import Settings, get_settings
from publisher.store import Store


def address(settings: Settings) -> str:
    """Where users reach the app: ``web.public_url``, else ``http://HOST:PORT``."""
    if settings.web.public_url:
        return settings.web.public_url.rstrip("/")
    host = settings.web.host
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{settings.web.port}"


def serve(settings: Settings, store: Store | None = None) -> None:
    """Serve until stopped (SIGINT/SIGTERM end it cleanly)."""
    # FastAPI and uvicorn load only in the process that serves (start-up time of every other command)
    import uvicorn

    from publisher.web.app import create_app

    app = create_app(settings, store)
    # What start-up made lives as long as the process: moved out of the collector's way, a full
    # collection no longer walks it on a request (bench/web.py: the month view's p95 halves).
    gc.collect()
    gc.freeze()
    uvicorn.run(
        app,
        host=settings.web.host,
        port=settings.web.port,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
        server_header=False,
    )


def main() -> None:
    serve(get_settings())


if __name__ == "__main__":
    main()
