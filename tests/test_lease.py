"""The beat's lease in Redis: one holder, renewed only by it, given back only by it, and free again
by itself when its holder stops renewing (killed)."""

from __future__ import annotations

import os
import time
import uuid

import redis

from worker.lease import Lease, who


def _pair(redis_url: str, ttl: float = 0.5) -> tuple[Lease, Lease]:
    client = redis.Redis.from_url(redis_url)
    key = f"{os.environ.get('REDIS_KEY_PREFIX', '')}test-lease-{uuid.uuid4().hex[:8]}"
    return Lease(client, key, ttl, owner="host-a/1#x"), Lease(client, key, ttl, owner="host-b/2#y")


def test_one_holds_the_other_waits_naming_it(redis_url):
    a, b = _pair(redis_url)
    assert a.hold() and not b.hold()
    assert b.holder() == "host-a/1"
    assert a.hold(), "the holder renews"
    assert not b.release() and a.hold(), "only the holder gives it back"


def test_a_renewed_lease_outlives_its_ttl_and_a_dead_one_is_taken_over(redis_url):
    a, b = _pair(redis_url, ttl=0.5)
    assert a.hold()
    for _ in range(4):  # 0.8 s of renewing every 0.2 s: still a's
        time.sleep(0.2)
        assert a.hold() and not b.hold()
    time.sleep(0.7)  # a stops renewing (killed)
    assert b.hold() and b.holder() == "host-b/2"
    assert not a.hold(), "the old holder does not get it back by renewing"


def test_given_back_it_is_free_at_once(redis_url):
    a, b = _pair(redis_url, ttl=30)
    assert a.hold()
    assert a.release()
    assert b.hold()


def test_who_shows_host_and_pid():
    assert who(b"vm/123#abcd") == "vm/123" and who(None) == "nobody"
