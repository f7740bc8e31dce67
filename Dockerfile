# syntax=docker/dockerfile:1
# Two stages: the builder installs publisher and its locked dependencies (constraints.txt) into a
# venv; the runtime image gets that venv, ffmpeg and a non-root user, nothing else.
# Base image pinned by exact version (bump deliberately; a digest pin may be added as @sha256:...).
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
COPY publisher ./publisher
COPY workers ./workers
COPY assets ./assets
# a regular (not editable) install, every dependency at the version the tests passed with
RUN pip install -c constraints.txt .

FROM ${PYTHON_IMAGE} AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 publisher \
    && useradd --system --uid 10001 --gid publisher --home-dir /data --shell /usr/sbin/nologin publisher \
    && mkdir -p /data /app \
    && chown publisher:publisher /data \
    && chmod 0700 /data
COPY --from=builder /opt/venv /opt/venv
COPY --chown=root:root schedules /app/schedules
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PUBLISHER_DATA_DIR=/data
WORKDIR /app
USER publisher
VOLUME ["/data"]
EXPOSE 8080
# the web app of `publisher run` (and `publisher web`) answers /healthz when its database does;
# the compose file gives beat and the workers their own checks
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('PUBLISHER_WEB__PORT', '8080'); sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=5).status == 200 else 1)"]
# init is idempotent: it migrates the database and refuses a volume whose key is lost;
# exec: `publisher run` is PID 1's child-free successor and receives docker stop's SIGTERM itself
CMD ["sh", "-c", "publisher init && exec publisher run"]
