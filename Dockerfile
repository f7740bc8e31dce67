FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY publisher ./publisher
COPY workers ./workers
COPY assets ./assets
COPY schedules ./schedules
RUN pip install --no-cache-dir -e .
ENV PUBLISHER_DATA_DIR=/data
CMD ["publisher", "run"]
