"""The one Celery app, configured from :class:`publisher.settings.Settings`.

- Broker: ``PUBLISHER_BROKER_URL`` (Redis) when set; otherwise the embedded default, kombu's
  filesystem transport under ``<data dir>/broker`` (no server to install; see :func:`broker`).
- Reliability: ``acks_late`` + ``reject_on_worker_lost`` + prefetch 1, so a killed worker's
  message is handed out again. The database lease and reconcile step are what guarantee delivery;
  the broker only rings the doorbell (publisher/actions/dispatch.py).
- Queues: ``publish`` (sending), ``dispatch`` (the dispatcher tick, consumed by every worker of
  ``publish``: :func:`consume_dispatch`), ``media`` (CPU-heavy preparation), ``collect``
  (engagement). A long video render never delays a text post due now, and a burst of posts never
  delays the tick (its messages used to wait behind the posts and expire).
- Visibility timeout (Redis): ``PUBLISHER_VISIBILITY_TIMEOUT`` (default 2 h), above the longest
  media task, set in the three places Celery reads it. No task is ever sent with a far ETA.
- Beat: ``workers.tasks.dispatch_tick`` every ``PUBLISHER_TICK_SECONDS``.
- Made on first use (:func:`get_app`), not when ``workers`` or this module is imported.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from celery import Celery
from celery.schedules import crontab
from celery.signals import after_setup_logger, celeryd_after_setup
from kombu import Exchange, Queue

from publisher.settings import Settings, get_settings

QUEUES = ("publish", "dispatch", "media", "collect")


#: the ``collect`` queue's schedule (engagement snapshots, followers, alerts, the Monday report);
#: crontab hours are the office's local time: the app's ``timezone`` is ``PUBLISHER_TIMEZONE``
#: (messages stay in UTC, ``enable_utc``), so the report comes Monday 07:00 wherever the office is.
#: Made anew for each app: a crontab caches the time zone of the first app it is bound to.
def collect_beat() -> dict[str, dict[str, Any]]:
    return {
        "collect-engagement": {
            "task": "workers.collect.collect_engagement",
            "schedule": 600.0,  # every 10 minutes: +1 h snapshots within 10 minutes of their time
            "options": {"queue": "collect", "expires": 540},
        },
        "collect-weekly-sweep": {
            "task": "workers.collect.collect_engagement",
            "schedule": crontab(minute=30, hour=23, day_of_week="sun"),  # Sunday 23:30 local
            "kwargs": {"weekly_sweep": True},
            "options": {"queue": "collect", "expires": 3000},
        },
        "collect-followers": {
            "task": "workers.collect.collect_followers",
            "schedule": crontab(minute=0, hour=23),  # 23:00 local, every day
            "options": {"queue": "collect", "expires": 3000},
        },
        "refresh-tokens": {
            "task": "workers.collect.refresh_tokens",
            "schedule": 3600.0,  # ahead of expiry, and at least daily so Zalo's refresh window keeps rolling
            "options": {"queue": "collect", "expires": 3000},
        },
        "send-alerts": {
            "task": "workers.collect.send_alerts",
            "schedule": 120.0,
            "options": {"queue": "collect", "expires": 110},
        },
        "weekly-report": {
            "task": "workers.collect.weekly_report",
            "schedule": crontab(minute=0, hour=7, day_of_week="mon"),  # Monday 07:00 local
            "options": {"queue": "collect", "expires": 6 * 3600},
        },
    }


COLLECT_BEAT = collect_beat()  # the entries' tasks and queues, for readers; make_app uses fresh ones


def broker(settings: Settings) -> tuple[str, dict[str, Any]]:
    """URL and transport options.

    Embedded default: the filesystem transport. Messages are files in one folder; a consumer
    takes one by renaming it (atomic on one filesystem), so several worker processes on one
    machine share the queue safely. It needs no server, survives restarts (files on disk), and
    supports the fanout Celery's remote control uses. It does not keep unacknowledged messages:
    a message taken by a worker that is then killed is gone, and the dispatcher's lease brings
    the delivery back (that is the design anyway). Kombu's SQLAlchemy transport was the other
    candidate: it never deletes delivered rows, has no fanout, and would add write contention to
    SQLite.
    """
    if settings.broker_url:
        vt = settings.visibility_timeout
        return settings.broker_url, {"visibility_timeout": vt}
    root = (settings.data_dir / "broker").resolve()
    folders = {name: root / name for name in ("queue", "processed", "control")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    return "filesystem://", {
        "data_folder_in": str(folders["queue"]),
        "data_folder_out": str(folders["queue"]),
        "processed_folder": str(folders["processed"]),
        "control_folder": str(folders["control"]),
        "store_processed": True,  # rename within the data dir (atomic); pruned by prune_processed
        "polling_interval": 0.2,
    }


def prune_processed(settings: Settings, older_than: float = 3600.0) -> int:
    """Delete processed message files of the embedded broker older than ``older_than`` seconds."""
    folder = settings.data_dir / "broker" / "processed"
    if settings.broker_url or not folder.is_dir():
        return 0
    cutoff = time.time() - older_than
    n = 0
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                n += 1
        except OSError:
            continue
    return n


def make_app(settings: Settings | None = None) -> Celery:
    settings = settings or get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url, options = broker(settings)
    app = Celery("publisher", broker=url, include=["workers.tasks", "workers.collect"])
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_store_errors_even_if_ignored=False,
        result_backend=None,
        task_serializer="json",
        accept_content=["json"],
        timezone=settings.timezone,  # crontab entries (COLLECT_BEAT) are in the office's time
        enable_utc=True,  # messages, ETAs and expiry times stay in UTC
        task_default_queue="publish",
        task_queues=[Queue(name, Exchange(name), routing_key=name) for name in QUEUES],
        task_default_exchange="publish",
        task_default_routing_key="publish",
        task_routes={
            "workers.tasks.publish_delivery": {"queue": "publish"},
            "workers.tasks.reconcile_delivery": {"queue": "publish"},
            "workers.tasks.dispatch_tick": {"queue": "dispatch"},
            "workers.tasks.prepare_media": {"queue": "media"},
            "workers.collect.*": {"queue": "collect"},
        },
        broker_transport_options=options,
        result_backend_transport_options={"visibility_timeout": settings.visibility_timeout},
        visibility_timeout=settings.visibility_timeout,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_soft_shutdown_timeout=30,
        beat_schedule={
            "dispatch": {
                "task": "workers.tasks.dispatch_tick",
                "schedule": settings.tick_seconds,
                # a tick nobody ran in time is worthless: the next one does the same work
                "options": {"queue": "dispatch", "expires": max(settings.tick_seconds * 2, 2.0)},
            },
            **collect_beat(),
        },
        beat_max_loop_interval=max(1.0, settings.tick_seconds),
        beat_schedule_filename=str(Path(settings.data_dir).resolve() / "beat-schedule"),
    )
    return app


@celeryd_after_setup.connect
def consume_dispatch(sender: Any = None, instance: Any = None, **_kwargs: Any) -> None:
    """A worker of ``publish`` also consumes ``dispatch`` (the tick), whatever its ``-Q`` says: the
    tick then never waits behind a burst of posts, and a machine started before the queue existed
    (``celery -A workers worker -Q publish``) still runs it."""
    queues = instance.app.amqp.queues
    if "publish" in queues.consume_from and "dispatch" not in queues.consume_from:
        queues.select_add(queues["dispatch"])


@after_setup_logger.connect
def _quiet_task_lines(**_kwargs: Any) -> None:
    """No "received/succeeded" line per task (one every tick); attempts have their JSON line."""
    for name in ("celery.app.trace", "celery.worker.strategy"):
        logging.getLogger(name).setLevel(logging.WARNING)


_app: Celery | None = None


def get_app() -> Celery:
    """This process's app, made from the settings on first use, not when this module is imported."""
    global _app
    if _app is None:
        _app = make_app()
    return _app


def __getattr__(name: str) -> Celery:
    """``workers.app.app`` (``celery -A workers.app``, ``@app.task``): the app, made on first use."""
    if name == "app":
        return get_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
