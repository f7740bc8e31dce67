"""Zalo Official Account publishing, split by concern: adapter, article bodies, reconcile,
statistics, OAuth, error codes."""

from publisher.platforms.zalo.adapter import ZaloOAAdapter

__all__ = ["ZaloOAAdapter"]
