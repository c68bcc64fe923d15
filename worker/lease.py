"""A lease in Redis: one holder at a time, for as long as it keeps renewing, taken over after that.

Why Redis and not the database: a PostgreSQL session-level advisory lock lives as long as one
server session, and PgBouncer in transaction pooling mode hands a client a different server
session for every transaction, so such a lock is neither held nor released where it was taken.
Redis is already what every beat and worker needs (the broker), and a key with an expiry is a lock
that a killed holder gives up by itself: ``SET key owner NX PX ttl`` takes it only when free, the
holder renews it (a compare-and-set script extends it only if it still holds the owner's value)
and deletes it the same way on a clean stop, so a successor takes over at once.
"""

from __future__ import annotations

import os
import socket
import uuid

import redis

#: Extend the lease only if we still hold it (KEYS[1] = key, ARGV = owner, ttl in ms).
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
#: Delete the lease only if we still hold it (KEYS[1] = key, ARGV[1] = owner).
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


def owner_id() -> str:
    """``host/pid#nonce``: the part before ``#`` says who holds it; the nonce tells apart a
    restarted process that got the same pid (in a container, often 1)."""
    return f"{socket.gethostname()}/{os.getpid()}#{uuid.uuid4().hex[:8]}"


def who(owner: str | bytes | None) -> str:
    """The holder as logged: ``host/pid``."""
    if isinstance(owner, bytes):
        owner = owner.decode(errors="replace")
    return (owner or "nobody").split("#", 1)[0]


class Lease:
    def __init__(self, client: redis.Redis, key: str, ttl_seconds: float, owner: str | None = None):
        self.client = client
        self.key = key
        self.ttl_ms = int(ttl_seconds * 1000)
        self.owner = owner or owner_id()
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    def hold(self) -> bool:
        """Renew the lease if it is ours, else take it if it is free; True while we hold it.
        Redis errors are raised (the caller decides what an unreachable Redis means)."""
        if self._renew(keys=[self.key], args=[self.owner, self.ttl_ms]):
            return True
        return bool(self.client.set(self.key, self.owner, nx=True, px=self.ttl_ms))

    def holder(self) -> str:
        """Who holds it now (``host/pid``), or ``nobody``."""
        return who(self.client.get(self.key))

    def release(self) -> bool:
        """Give it up if it is ours, so a waiting successor need not wait for the expiry."""
        return bool(self._release(keys=[self.key], args=[self.owner]))
