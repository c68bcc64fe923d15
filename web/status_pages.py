"""``/status/<slug>`` and ``/status/<slug>.json``: public status pages, no sign-in.

Served from a per-process cache (``shared.status_pages.ViewCache``, 30 s): the database is asked
at most once per page and worker process every 30 s, whatever the audience. The HTML is
server-rendered with Jinja (autoescaped), has no script at all and refreshes itself with a
``<meta http-equiv="refresh">``; announcement markdown is rendered without raw HTML.
"""

from __future__ import annotations

import gzip
import json
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, render_template, request

from shared import status_pages as pages
from shared.schemas import STATUS_PAGE_SLUG
from web.auth import SECURITY_HEADERS
from web.extensions import db

bp = Blueprint("status_page", __name__, url_prefix="/status")

CACHE_CONTROL = f"public, max-age={int(pages.CACHE_SECONDS)}"


def cache() -> pages.ViewCache:
    found = current_app.extensions.get("ot_status_pages")
    if found is None:
        found = current_app.extensions["ot_status_pages"] = pages.ViewCache()
    return found


def _build(slug: str) -> dict | None:
    try:
        return pages.build_view(db.session, slug)
    finally:
        db.session.remove()  # give the connection back at once: cached answers need none


def _lookup(slug: str) -> pages.CachedView | None:
    if not STATUS_PAGE_SLUG.match(slug):
        return None
    entry = cache().get(slug, _build)
    return entry if entry.view is not None else None


def _csp(view: dict) -> str:
    """The app's policy, with the page's logo host allowed as an image source."""
    policy = SECURITY_HEADERS["Content-Security-Policy"]
    logo = view.get("logo_url")
    if logo:
        parts = urlsplit(logo)
        host = parts.netloc.rpartition("@")[2]  # never a user name or password in a header
        origin = "".join(c for c in f"{parts.scheme}://{host}" if c.isalnum() or c in ":/.-[]")
        policy = policy.replace("img-src 'self' data:", f"img-src 'self' data: {origin}")
    return policy


def _answer(entry: pages.CachedView, kind: str, body: bytes, content_type: str) -> Response:
    """The cached bytes, gzipped (once per build) for clients that accept it: 90 bars per monitor
    repeat a lot, so the page shrinks about tenfold."""
    headers = {"Cache-Control": CACHE_CONTROL, "Vary": "Accept-Encoding"}
    if "gzip" in request.accept_encodings:
        packed = entry.rendered.get(kind + ".gz")
        if packed is None:
            packed = entry.rendered[kind + ".gz"] = gzip.compress(body, 6)
        body = packed
        headers["Content-Encoding"] = "gzip"
    return Response(body, 200, content_type=content_type, headers=headers)


@bp.get("/<slug>")
@bp.get("/<path:slug>")  # anything deeper is no page either: 404 here, not the dashboard
def page(slug: str):
    entry = _lookup(slug)
    if entry is None:
        body = render_template("status_page_404.html")
        return Response(body, 404, content_type="text/html; charset=utf-8")
    html = entry.rendered.get("html")
    if html is None:
        html = entry.rendered["html"] = render_template("status_page.html", view=entry.view).encode()
    response = _answer(entry, "html", html, "text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = _csp(entry.view)
    return response


@bp.get("/<slug>.json")
def page_json(slug: str):
    entry = _lookup(slug)
    if entry is None:
        response = Response(b'{"error": "Not found."}', 404, content_type="application/json")
    else:
        raw = entry.rendered.get("json")
        if raw is None:
            raw = entry.rendered["json"] = json.dumps(entry.view, ensure_ascii=False).encode()
        response = _answer(entry, "json", raw, "application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"  # for embedding in other sites
    return response
