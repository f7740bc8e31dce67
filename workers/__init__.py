"""Celery workers: ``celery -A workers worker -Q publish`` and ``celery -A workers beat``.

The app is made on first use (:func:`workers.app.get_app`); ``celery -A workers`` finds it as
``workers.celery``.
"""

from celery import Celery

from workers.app import get_app


def __getattr__(name: str) -> Celery:
    if name == "celery":
        return get_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["get_app"]
