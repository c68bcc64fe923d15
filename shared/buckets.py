"""Bucket maths for rollups and histories: pure functions of times in epoch seconds."""

from __future__ import annotations

from datetime import UTC, datetime

FIFTEEN_MINUTES = 900
HOUR = 3600
DAY = 86400
RESOLUTIONS = (FIFTEEN_MINUTES, HOUR, DAY)


def bucket_start(when: datetime, resolution: int) -> datetime:
    epoch = when.timestamp()
    return datetime.fromtimestamp(epoch - epoch % resolution, UTC)


def bucket_starts(end: datetime, resolution: int, count: int) -> list[datetime]:
    """``count`` consecutive bucket starts, oldest first, the last one containing ``end``."""
    last = bucket_start(end, resolution).timestamp()
    return [datetime.fromtimestamp(last - resolution * i, UTC) for i in range(count - 1, -1, -1)]
