"""Facebook Page publishing, split by concern: client, errors, posts, videos, scheduling, auth."""

from publisher.platforms.facebook.adapter import FacebookPageAdapter

__all__ = ["FacebookPageAdapter"]
