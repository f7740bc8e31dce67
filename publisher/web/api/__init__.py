"""The JSON API (``/api/v1``), documented at ``/api/docs`` (OpenAPI: ``/api/openapi.json``), and
the page where a user makes and revokes their API tokens (``/tokens``).

Each API route is named ``api_<page>`` and has that page's permission (one table for both); a
call is made with a personal API token or the session cookie (:mod:`publisher.web.api.auth`);
errors are JSON (:mod:`publisher.web.api.errors`). Any other address under ``/api`` answers a
JSON 404 (or 405), never the HTML error page.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from starlette.responses import Response

from publisher.web.api import docs, tokens_page, v1
from publisher.web.api.errors import not_found

router = APIRouter()
for _sub in v1.ROUTERS:
    router.include_router(_sub)
router.include_router(tokens_page.router)
# public, and not API routes: the documentation of the API
router.add_route(
    "/api/openapi.json", docs.openapi_json, methods=["GET"], name="api_openapi", include_in_schema=False
)
router.add_route("/api/docs", docs.docs_page, methods=["GET"], name="api_docs", include_in_schema=False)

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


async def _unknown(request: Request) -> Response:
    """An address under ``/api`` no route has: 405 when a route has it with other methods."""
    path = request.url.path
    methods: set[str] = set()
    for route in v1.ROUTES:
        if isinstance(route, APIRoute) and route.path_regex.match(path):
            methods |= route.methods or set()
    return not_found(request.method, methods)


router.add_route("/api", _unknown, methods=METHODS, include_in_schema=False)
router.add_route("/api/{rest:path}", _unknown, methods=METHODS, include_in_schema=False)

__all__ = ["router"]
