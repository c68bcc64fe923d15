"""URL converters shared by both Flask apps."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

from shared.schemas import MAX_ID


class IdConverter(IntegerConverter):
    """``<int:…>`` limited to 1 … MAX_ID: a larger number in a URL is simply not an id (404), rather
    than an overflow in the driver (SQLite refuses integers past 64 bits)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def install(app) -> None:
    """Call before registering blueprints: their ``<int:…>`` rules use the bounded converter."""
    app.url_map.converters["int"] = IdConverter
