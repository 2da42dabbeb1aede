# studybot in a container: slim Python, the content baked into the image, a non-root user, and a
# HEALTHCHECK on /healthz. See docs/deploy.md. Build: docker build -t studybot .
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
# The content is part of the package (pyproject force-includes content/ as bot/_content), so the
# image carries exactly the exams, FAQ and question banks of the code it runs.
COPY pyproject.toml README.md .env.example ./
COPY bot ./bot
COPY adapters ./adapters
COPY content ./content
RUN pip install . \
    && rm -rf /src \
    && useradd --system --uid 10001 --create-home --home-dir /home/studybot studybot \
    && mkdir -p /data \
    && chown studybot:studybot /data

USER studybot
WORKDIR /home/studybot

# SQLite, when no STUDYBOT_DATABASE_URL is given, lives in $XDG_DATA_HOME/studybot: mount a volume
# at /data to keep it. The health server listens on all interfaces inside the container only.
ENV XDG_DATA_HOME=/data \
    STUDYBOT_HEALTH_PORT=9187 \
    STUDYBOT_HEALTH_HOST=0.0.0.0
VOLUME ["/data"]
EXPOSE 9187 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9187/healthz', timeout=4)"]

CMD ["studybot", "run"]
