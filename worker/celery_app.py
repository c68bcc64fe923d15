"""The Celery app, configured by ``celeryconfig.py`` at the project root.

Importing it also applies :func:`keep_redis_address_after_close` (every Celery process here, worker,
beat and flower, imports this module before it connects to the broker).
"""

from celery import Celery


def keep_redis_address_after_close() -> None:
    """A kombu Redis transport keeps the broker address it was created with once it is closed.

    Why: without this a worker stops for good when Redis goes away while it holds unacknowledged
    messages (late acks: every running or prefetched check), as it did when Redis was restarted:
    ``CRITICAL celery.worker: Unrecoverable error: AttributeError("'NoneType' object has no
    attribute 'hostname'")``. On a lost connection Celery's consumer
    (``Consumer.on_connection_error_after_connected``, celery 5.7) calls ``connection.collect()``
    and then ``connection.close()``:

    1. ``collect()`` closes the connection's channels, and fails half-way on the dead broker.
       ``kombu.transport.redis.Channel.close`` first reads the reply of the BRPOP the channel has
       in flight, which raises ``ConnectionError`` (ignored); ``Transport.close_connection`` then
       closes the other channels and stops at the first that raises the same way, so the channel
       holding the unacknowledged messages stays open. Yet ``collect()`` detaches the transport
       from its connection all the same: ``Connection._do_close_transport`` sets
       ``transport.client = None``.
    2. ``close()`` closes that channel again, this time through to ``QoS.restore_unacked_once``,
       which puts the unacknowledged messages back. That needs a new Redis connection pool, whose
       address ``Channel._connparams`` reads from ``self.connection.client.hostname``:
       ``AttributeError``. ``ignore_errors`` lets only connection errors pass, so it reaches
       ``WorkController.start``, which stops the worker.

    A check that was running during the outage and acknowledges its message afterwards takes the
    same path (``QoS.ack`` on the old channel), and would stop the worker from its event loop.

    With the address kept, both simply talk to Redis: when it is back they succeed, and while it
    is down they raise ``ConnectionError``, which kombu and Celery already handle. ``client`` is
    set to ``None`` nowhere else in kombu; only the reference is kept, the connection stays closed.
    """
    from kombu.transport import redis as kombu_redis

    transport = kombu_redis.Transport  # SentinelTransport inherits from it
    if isinstance(transport.__dict__.get("client"), property):
        return

    def get_client(self):
        return self.__dict__.get("_kept_client")

    def set_client(self, value):
        if value is not None:
            self.__dict__["_kept_client"] = value

    transport.client = property(get_client, set_client, doc=keep_redis_address_after_close.__doc__)


keep_redis_address_after_close()

app = Celery("onlinetracker", include=["worker.tasks", "worker.alerts"])
app.config_from_object("celeryconfig")
