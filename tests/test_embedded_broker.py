"""The embedded broker (kombu's filesystem transport) hands consumers whole messages only."""

from __future__ import annotations

import json
import os
import threading

from kombu import Connection


def _connection(folder) -> Connection:
    return Connection(
        transport="worker.embedded_broker:Transport",
        transport_options={
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "control_folder": str(folder / "control"),
        },
    )


def test_messages_go_through(tmp_path):
    with _connection(tmp_path) as conn:
        queue = conn.SimpleQueue("checks")
        queue.put({"monitor": 7})
        assert queue.get(timeout=5).payload == {"monitor": 7}
        queue.close()
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".part")]


def test_a_reader_listing_the_folder_never_sees_a_partial_message(tmp_path):
    """What a worker does (list the folder, take the queue's ``.msg`` files) while messages are being
    written: with the stock transport some are read empty (celery/kombu#1551)."""
    done = threading.Event()
    bad: list[str] = []

    def read() -> None:
        while not done.is_set():
            for name in os.listdir(tmp_path):
                if not name.endswith(".checks.msg"):
                    continue
                try:
                    with open(tmp_path / name, "rb") as handle:
                        json.loads(handle.read())
                except FileNotFoundError:
                    continue
                except ValueError:
                    bad.append(name)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        with _connection(tmp_path) as conn:
            queue = conn.SimpleQueue("checks")
            for i in range(400):
                queue.put({"monitor": i, "padding": "x" * 4000})
            queue.close()
    finally:
        done.set()
        reader.join()
    assert bad == []
