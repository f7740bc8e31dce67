FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md constraints.txt ./
COPY publisher ./publisher
COPY workers ./workers
COPY assets ./assets
COPY schedules ./schedules
RUN pip install --no-cache-dir -c constraints.txt -e .
ENV PUBLISHER_DATA_DIR=/data
# init is idempotent: it makes /data (0700) and the key on a new volume, and refuses a volume whose key is lost
CMD ["sh", "-c", "publisher init && exec publisher run"]
