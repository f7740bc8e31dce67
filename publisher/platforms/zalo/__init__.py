"""Zalo Official Account publishing, split by concern: adapter, OAuth, error codes."""

from publisher.platforms.zalo.adapter import ZaloOAAdapter

__all__ = ["ZaloOAAdapter"]
