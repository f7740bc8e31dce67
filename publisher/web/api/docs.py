"""The API's documentation: the OpenAPI document (``/api/openapi.json``) and a page (``/api/docs``).

The document is the framework's (:func:`fastapi.openapi.utils.get_openapi`) over the API's routes
only (the HTML pages are not an API). The page is rendered here from that document, with no
script at all: the CSP of the app allows no inline script and no other site, which the framework's
Swagger UI page needs both of.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from publisher.i18n import register
from publisher.web.api.v1 import ROUTES
from publisher.web.deps import COOKIE, Viewer, web
from publisher.web.render import render

register(
    {
        "api.docs.title": ("Tài liệu API", "API documentation"),
        "api.docs.intro": (
            "API JSON cho mọi việc các trang làm. Gửi mã API cá nhân (tạo ở trang “Mã API”) trong tiêu đề "
            "Authorization: Bearer <mã>; mã có vai trò và đơn vị của người tạo ra nó. Lỗi trả về JSON có mã "
            "lỗi và thông báo tiếng Việt và tiếng Anh. Tài liệu máy đọc được (OpenAPI):",
            "A JSON API for everything the pages do. Send a personal API token (made on the “API tokens” "
            "page) in the header Authorization: Bearer <token>; a token has the role and unit of the user who "
            "made it. Errors are JSON with a code and the message in Vietnamese and English. The "
            "machine-readable document (OpenAPI):",
        ),
        "api.docs.operations": ("Các thao tác", "Operations"),
        "api.docs.parameters": ("Tham số", "Parameters"),
        "api.docs.body": ("Nội dung gửi (JSON)", "Request body (JSON)"),
        "api.docs.responses": ("Kết quả", "Responses"),
        "api.docs.schemas": ("Các kiểu dữ liệu", "Schemas"),
        "api.docs.col.name": ("Tên", "Name"),
        "api.docs.col.in": ("Ở đâu", "In"),
        "api.docs.col.type": ("Kiểu", "Type"),
        "api.docs.col.required": ("Bắt buộc", "Required"),
        "api.docs.col.description": ("Mô tả", "Description"),
        "api.docs.col.status": ("Mã", "Status"),
        "api.docs.yes": ("có", "yes"),
        "api.docs.tokens": ("Tạo mã API", "Make an API token"),
    }
)

TITLE = "publisher API"
_document: dict[str, Any] = {}


def openapi() -> dict[str, Any]:
    """The OpenAPI document of the ``/api/v1`` routes (built once)."""
    if not _document:
        _document.update(
            get_openapi(
                title=TITLE,
                version="1",
                summary="The officer's publisher, as a JSON API",
                description="Authenticate with `Authorization: Bearer <token>` (tokens: /tokens). "
                'Errors: `{"error": {"code", "message", "message_vi", "message_en"}}`.',
                routes=[r for r in ROUTES if isinstance(r, APIRoute)],
            )
        )
    return _document


def type_of(schema: dict[str, Any]) -> str:
    """A schema as a short type text: ``PostSummary``, ``list[str]``, ``str | null``."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return " | ".join(type_of(s) for s in schema[key])
    kind = schema.get("type")
    if kind == "array":
        return f"list[{type_of(schema.get('items', {}))}]"
    if kind == "object" and "additionalProperties" in schema:
        extra = schema["additionalProperties"]
        return f"dict[str, {type_of(extra) if isinstance(extra, dict) else 'any'}]"
    fmt = schema.get("format")
    if "enum" in schema:
        return " | ".join(repr(v) for v in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    return f"{kind} ({fmt})" if kind and fmt else str(kind or "any")


def _ref(schema: dict[str, Any]) -> str | None:
    """The component a schema names (directly, or inside a list or an optional)."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            if (found := _ref(sub)) is not None:
                return found
    if schema.get("type") == "array":
        return _ref(schema.get("items", {}))
    return None


def operations(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Each operation of the document, ready for the page."""
    out = []
    for path, methods in doc.get("paths", {}).items():
        for method, op in methods.items():
            params = [
                {
                    "name": p["name"],
                    "in": p["in"],
                    "required": p.get("required", False),
                    "type": type_of(p.get("schema", {})),
                    "description": p.get("description") or p.get("schema", {}).get("description", ""),
                }
                for p in op.get("parameters", [])
            ]
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            responses = []
            for status, answer in op.get("responses", {}).items():
                schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
                responses.append(
                    {
                        "status": status,
                        "description": answer.get("description", ""),
                        "type": type_of(schema) if schema else "",
                        "ref": _ref(schema) if schema else None,
                    }
                )
            out.append(
                {
                    "id": op.get("operationId", f"{method}-{path}"),
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "tags": op.get("tags", []),
                    "parameters": params,
                    "body": {"type": type_of(body), "ref": _ref(body)} if body else None,
                    "responses": responses,
                }
            )
    return out


def schemas(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Each component schema with its fields."""
    out = []
    for name, schema in sorted(doc.get("components", {}).get("schemas", {}).items()):
        required = set(schema.get("required", []))
        out.append(
            {
                "name": name,
                "description": schema.get("description", ""),
                "fields": [
                    {
                        "name": field,
                        "type": type_of(spec),
                        "ref": _ref(spec),
                        "required": field in required,
                        "description": spec.get("description", ""),
                    }
                    for field, spec in schema.get("properties", {}).items()
                ],
            }
        )
    return out


async def openapi_json(request: Request) -> Response:
    return JSONResponse(openapi())


async def docs_page(request: Request) -> HTMLResponse:
    """Public, like the document; a signed-in reader gets the app's navigation too."""
    doc = openapi()
    session = await run_in_threadpool(web(request).signin.session, request.cookies.get(COOKIE))
    viewer = Viewer(session, "api_docs") if session is not None else None
    return render(request, "api_docs.html", viewer, operations=operations(doc), schemas=schemas(doc))


__all__ = ["docs_page", "openapi", "openapi_json", "operations", "schemas", "type_of"]
