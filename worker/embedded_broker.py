"""The embedded broker: kombu's filesystem transport, with each message appearing whole.

kombu writes a message file in place (create, then write), and a worker that lists the folder in
between takes the still-empty file, fails to decode it and stops (celery/kombu#1551; seen here
under load). This transport writes each message under a name no consumer takes and renames it into
place: a rename within one folder is atomic, so a worker finds a whole message or none.
``celeryconfig`` selects it for the embedded default (``broker_transport``).
"""

from __future__ import annotations

import os
import uuid
from time import monotonic

from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        # The same name kombu gives a message; the dot in front keeps consumers off the partial file
        # (they take only "<stamp>_<uuid>.<queue>.msg").
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{name}.part")
        try:
            with open(partial, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
            os.rename(partial, final)
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
