"""The agent's on-disk result buffer: nothing is lost across a server outage or an agent restart.

A SQLite file in the agent's data directory. Results are written before they are sent and deleted
only once the server has accepted them; the server stores a re-sent result once (by its id). The
buffer is bounded: past ``limit`` results the oldest are dropped, with a log line saying how many.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger("onlinetracker.agent")
DEFAULT_LIMIT = 100_000


class ResultBuffer:
    def __init__(self, path: Path, limit: int = DEFAULT_LIMIT):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.limit = limit
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS results (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE, body TEXT)"
        )

    def add(self, result: dict) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO results (id, body) VALUES (?, ?)", (result["id"], json.dumps(result))
            )
            count = self._db.execute("SELECT count(*) FROM results").fetchone()[0]
            if count > self.limit:
                excess = count - self.limit
                self._db.execute(
                    "DELETE FROM results WHERE seq IN (SELECT seq FROM results ORDER BY seq LIMIT ?)",
                    (excess,),
                )
                log.warning("result buffer is full (%s results): dropped the %s oldest", self.limit, excess)

    def oldest(self, n: int) -> list[dict]:
        with self._lock:
            rows = self._db.execute("SELECT body FROM results ORDER BY seq LIMIT ?", (n,)).fetchall()
        return [json.loads(body) for (body,) in rows]

    def remove(self, ids: list[str]) -> None:
        with self._lock:
            self._db.executemany("DELETE FROM results WHERE id = ?", [(i,) for i in ids])

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM results").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
