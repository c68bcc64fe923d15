"""``/api/openapi.json`` built from the app's own URL map and the schema models.

Each API view declares its documentation with :func:`doc`; the document is assembled from
``app.url_map``, so a route can't exist without being described, nor a description without a route.
"""

from __future__ import annotations

import re

from flask import Flask
from pydantic import BaseModel

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def doc(
    summary: str,
    body: type[BaseModel] | None = None,
    response: dict | None = None,
    status: int = 200,
    params: dict[str, dict] | None = None,
    tag: str | None = None,
):
    """Attach OpenAPI metadata to a view: summary, request body model, response schema, query params."""

    def wrap(view):
        view.openapi = {
            "summary": summary,
            "body": body,
            "response": response or {"type": "object"},
            "status": status,
            "params": params or {},
            "tag": tag,
        }
        return view

    return wrap


def _schema(model: type[BaseModel], components: dict) -> dict:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in schema.pop("$defs", {}).items():
        components[name] = sub
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}


#: How a client authenticates (README "Accounts and access"); routes in the open list say ``[]``.
SECURITY_SCHEMES = {
    "token": {"type": "http", "scheme": "bearer", "description": "An API token (ot_…) from /api/tokens"},
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": "ot_session",
        "description": "Set by POST /api/auth/login; writes also need the X-CSRF-Token header",
    },
}


def build(
    app: Flask, prefix: str = "/api", title: str = "OnlineTracker admin API", open_endpoints=frozenset()
) -> dict:
    paths: dict[str, dict] = {}
    components: dict[str, dict] = {"Error": _ERROR}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix):
            continue
        view = app.view_functions[rule.endpoint]
        meta = getattr(view, "openapi", None)
        if meta is None:
            raise RuntimeError(f"route {rule.rule} has no @doc: document it")
        path = _CONVERTER.sub(r"{\2}", rule.rule)
        parameters = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "integer" if conv == "int" else "string"},
            }
            for conv, name in _CONVERTER.findall(rule.rule)
        ]
        parameters += [
            {"name": n, "in": "query", "required": False, "schema": s} for n, s in meta["params"].items()
        ]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op = {
                "summary": meta["summary"],
                "operationId": f"{rule.endpoint}_{method.lower()}",
                "parameters": parameters,
                "responses": {
                    str(meta["status"]): {
                        "description": "Success",
                        "content": {"application/json": {"schema": meta["response"]}},
                    },
                    "default": {
                        "description": "Error",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                },
            }
            if meta["tag"]:
                op["tags"] = [meta["tag"]]
            if rule.endpoint in open_endpoints:
                op["security"] = []
            if meta["body"] is not None:
                op["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": _schema(meta["body"], components)}},
                }
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": app.config.get("VERSION", "2.1.1")},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": components, "securitySchemes": SECURITY_SCHEMES},
        "security": [{"token": []}, {"session": []}],
    }
