"""The pure domain core: no I/O imports (no requests, redis, celery, sqlalchemy, PIL, moviepy)."""
