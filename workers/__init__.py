"""Celery workers: ``celery -A workers worker -Q publish`` and ``celery -A workers beat``."""

from workers.app import app

__all__ = ["app"]
