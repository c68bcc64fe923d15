#!/bin/sh
# The container's entry point: MODE chooses the role, and the role's process replaces this shell
# (exec), so SIGTERM from `docker stop` reaches it directly.
#
#   MODE=server   web, gateway, worker and beat under one supervisor (onlinetracker run)
#   MODE=web      admin API and dashboard on WEB_PORT       MODE=gateway  agent API on COMS_PORT
#   MODE=worker   checks and alerts from the queues         MODE=beat     the dispatcher (run one)
#   MODE=flower   Celery's monitoring UI on FLOWER_PORT      MODE=agent    a remote agent
#   MODE=migrate  bring the database schema up to date and exit
#
# `entrypoint.sh healthcheck` is the image's HEALTHCHECK for the same MODE; any other arguments are
# run as a command instead (docker run IMAGE onlinetracker --help).
set -eu

cd "$(dirname "$0")/.."

mode=$(printf '%s' "${MODE:-server}" | tr '[:upper:]' '[:lower:]')

# GET a URL on this container; exits non-zero (with the reason) unless it answers 2xx.
probe() {
    python - "$1" <<'PY'
import sys
import urllib.error
import urllib.request

try:
    with urllib.request.urlopen(sys.argv[1], timeout=8) as reply:
        sys.exit(0)
except urllib.error.HTTPError as exc:
    sys.exit(f"{sys.argv[1]}: HTTP {exc.code} {exc.read(300).decode(errors='replace')}")
except OSError as exc:
    sys.exit(f"{sys.argv[1]}: {exc}")
PY
}

local_host() {
    case "${1:-0.0.0.0}" in
        "" | 0.0.0.0 | "::") echo 127.0.0.1 ;;
        *) echo "$1" ;;
    esac
}

healthcheck() {
    web="http://$(local_host "${BIND_HOST:-}"):${WEB_PORT:-8000}/healthz"
    coms="http://$(local_host "${BIND_HOST:-}"):${COMS_PORT:-19443}/healthz"
    case "$mode" in
        web) probe "$web" ;;
        gateway) probe "$coms" ;;
        server) probe "$web" && probe "$coms" ;;
        flower) probe "http://$(local_host "${FLOWER_ADDRESS:-}"):${FLOWER_PORT:-5555}/healthcheck" ;;
        worker)
            # This container's worker answers a Celery ping (node names end in @<hostname>).
            python - <<'PY'
import re
import socket
import sys

from worker.celery_app import app

own = ".*" + re.escape("@" + socket.gethostname()) + "$"
replies = app.control.ping(timeout=5, pattern=own, matcher="pcre", limit=1)
sys.exit(0 if replies else "the worker did not answer a Celery ping within 5 s")
PY
            ;;
        *) exit 0 ;;
    esac
}

if [ "$#" -gt 0 ]; then
    if [ "$1" = healthcheck ]; then
        healthcheck
        exit $?
    fi
    exec "$@"
fi

case "$mode" in
    server) exec python -m onlinetracker run ;;
    web | gateway | worker | beat | flower | agent | migrate) exec python -m onlinetracker "$mode" ;;
    *)
        echo "onlinetracker: MODE must be one of server, web, gateway, worker, beat, flower, agent, migrate (got '${MODE}')" >&2
        exit 2
        ;;
esac
