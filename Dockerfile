# syntax=docker/dockerfile:1
#
# One image for every role of OnlineTracker; MODE chooses which (docker/entrypoint.sh):
# server (all-in-one), web, gateway, worker, beat, flower, agent, migrate.
#
#   docker build -t onlinetracker .
#   docker run -e MODE=agent -e SERVER_HOST=... -e SHARED_SECRET=... -v onlinetracker-agent:/app/data onlinetracker

# --- Stage 1: the React dashboard, built once with Node and copied into the runtime image as files.
FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
# Manifests first: the npm ci layer is reused until the dependencies change.
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

# --- Stage 2: the runtime, Python only (no Node, no compilers: every dependency ships a wheel).
FROM python:3.11-slim-bookworm AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONPATH=/app \
    DATA_DIR=/app/data \
    MODE=server

# tini is PID 1: it passes SIGTERM on to the role's process and reaps orphaned children.
# Not pinned: Debian stable's security updates should reach the image on every rebuild.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# The source tree stays at /app and PYTHONPATH=/app makes every entry point (python -m onlinetracker,
# the onlinetracker script, celery) import it from here, so the dashboard built in stage 1 sits
# beside the packages at /app/frontend/dist: the path web serves it from relative to its package.
# The dependencies first, from pyproject.toml alone: that layer is reused until they change, so a
# rebuild after `git pull` only reinstalls the package itself.
COPY pyproject.toml ./
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" \
        > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt
# `pip install .` (not editable) installs the package and the `onlinetracker` command.
COPY . .
RUN pip install --no-cache-dir --no-deps . \
    && rm -rf build ./*.egg-info
COPY --from=frontend /src/frontend/dist /app/frontend/dist

# A fixed non-root uid; /app/data (DATA_DIR: generated SECRET_KEY, beat schedule, agent UUID) is
# owned by it, so a named volume mounted there starts with the right owner. Its own home directory
# (container-local, writable) is where gunicorn keeps its control socket.
RUN groupadd --system --gid 10001 onlinetracker \
    && useradd --system --uid 10001 --gid onlinetracker --create-home --home-dir /home/onlinetracker \
        --shell /usr/sbin/nologin onlinetracker \
    && mkdir -p /app/data \
    && chown onlinetracker:onlinetracker /app/data \
    && chmod 0755 docker/entrypoint.sh
USER 10001:10001
VOLUME ["/app/data"]

# WEB_PORT, COMS_PORT, FLOWER_PORT.
EXPOSE 8000 19443 5555

# web, gateway and server: GET /healthz (database and broker reachable); flower: its /healthcheck;
# worker: answers a Celery ping; beat, agent: the process being up is all there is to know.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["/app/docker/entrypoint.sh", "healthcheck"]

ENTRYPOINT ["/usr/bin/tini", "--", "/app/docker/entrypoint.sh"]
