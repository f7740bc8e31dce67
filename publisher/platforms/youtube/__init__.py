"""YouTube publishing, split by concern: adapter, resumable upload, quota, errors, metadata,
reconcile, statistics, OAuth."""

from publisher.platforms.youtube.adapter import YouTubeAdapter
from publisher.platforms.youtube.quota import MemoryQuotaCounter, QuotaCounter

__all__ = ["MemoryQuotaCounter", "QuotaCounter", "YouTubeAdapter"]
