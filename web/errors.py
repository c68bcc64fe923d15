"""Every error under /api answers API.md's JSON format; nothing else is ever shown to a client."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from shared.accounts import AccountError
from shared.schemas import FieldErrors

log = logging.getLogger(__name__)


class ApiError(Exception):
    """``code`` is a stable machine-readable name (``login_required``, ``csrf``…) for clients that
    must tell errors of one status apart; ``extra`` adds fields such as a hint."""

    def __init__(
        self,
        status: int,
        message: str,
        fields: dict[str, str] | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        **extra,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields
        self.code = code
        self.headers = headers or {}
        self.extra = extra


def error_response(status: int, message: str, fields: dict[str, str] | None = None, **extra):
    body = {"error": message}
    if fields:
        body["fields"] = fields
    body.update({k: v for k, v in extra.items() if v is not None})
    return jsonify(body), status


_MESSAGES = {
    404: "Not found.",
    405: "Method not allowed for this URL.",
    413: "Request body is too large.",
    415: "Unsupported media type.",
}


def register(app: Flask, rollback) -> None:
    """``rollback`` undoes whatever the failed request staged, so a failure writes nothing."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        rollback()
        response, status = error_response(exc.status, exc.message, exc.fields, code=exc.code, **exc.extra)
        response.headers.update(exc.headers)
        return response, status

    @app.errorhandler(AccountError)
    def _account_error(exc: AccountError):
        rollback()
        return error_response(exc.status, exc.message, code=exc.code)

    @app.errorhandler(FieldErrors)
    def _field_errors(exc: FieldErrors):
        rollback()
        return error_response(422, "Some fields are invalid.", exc.errors)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        rollback()
        response, status = error_response(exc.code or 500, _MESSAGES.get(exc.code, exc.description))
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response, status

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        rollback()
        log.exception("unhandled error")
        return error_response(500, "Internal error; it has been logged.")
