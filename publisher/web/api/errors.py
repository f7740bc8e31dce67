"""Errors of the JSON API: one shape, a stable code, the message in Vietnamese and English.

Every error under ``/api`` answers ``{"error": {"code", "message", "message_vi", "message_en",
"details"}}`` with its status: 401 (no or bad credentials), 403 (the role may not, or a missing
CSRF token on a cookie call), 404 (unknown, or another unit's), 409 (refused by a rule, e.g. the
four-eyes rule), 422 (a request that does not validate). ``message`` is in the app's language.

The API's routes are :class:`ApiRoute`: it turns what a handler or a dependency raises (our
:class:`ApiError`, the framework's ``HTTPException`` and ``RequestValidationError``) into that
JSON, for these routes only: the pages keep their HTML error pages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from publisher import i18n
from publisher.errors import PublisherError
from publisher.i18n import Msg, msg, register

register(
    {
        "api.error.unauthenticated": (
            "Cần đăng nhập, hoặc gửi mã API trong tiêu đề “Authorization: Bearer <mã>”.",
            "Sign in, or send an API token in the header “Authorization: Bearer <token>”.",
        ),
        "api.error.invalid_token": (
            "Mã API không hợp lệ, đã bị thu hồi, hoặc người dùng của nó đã bị vô hiệu hóa.",
            "The API token is not valid, was revoked, or its user is disabled.",
        ),
        "api.error.password_change_required": (
            "Người dùng này phải đổi mật khẩu dùng một lần (trang /password) trước khi dùng API.",
            "This user must replace the one-time password (page /password) before using the API.",
        ),
        "api.error.forbidden": (
            "Vai trò của bạn không được làm việc này.",
            "Your role may not do this.",
        ),
        "api.error.csrf": (
            "Yêu cầu dùng phiên đăng nhập (cookie) phải gửi mã CSRF trong tiêu đề X-CSRF-Token.",
            "A request made with the session cookie must send the CSRF token in the X-CSRF-Token header.",
        ),
        "api.error.not_found": ("Không tìm thấy.", "Not found."),
        "api.error.method_not_allowed": (
            "Địa chỉ này không nhận phương thức {method}.",
            "This address does not take the method {method}.",
        ),
        "api.error.validation": (
            "Yêu cầu không hợp lệ: {fields}.",
            "The request is not valid: {fields}.",
        ),
        "api.error.bad_request": ("Yêu cầu không hợp lệ.", "The request is not valid."),
        "api.error.internal": (
            "Có lỗi phía máy chủ; xin thử lại sau.",
            "Something went wrong on the server; please try again later.",
        ),
    }
)

log = logging.getLogger(__name__)

#: the code of an error with this status when nothing more precise is known
CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "refused",
    422: "validation",
    500: "internal",
}

#: codes with a message of their own in the catalogue above (any other code brings its message)
WORDED = frozenset(
    {
        "unauthenticated",
        "invalid_token",
        "password_change_required",
        "forbidden",
        "csrf",
        "not_found",
        "method_not_allowed",
        "validation",
        "bad_request",
        "internal",
    }
)


def text_in(lang: str, message: Msg | str) -> str:
    """``message`` rendered in ``lang`` ("vi" or "en"), whatever the current language is.

    A plain string (rendered already) is returned as it is.
    """
    if not isinstance(message, Msg):
        return str(message)
    return i18n.t_in(lang, message.key, **message.params)


class ApiError(Exception):
    """Answered as the JSON error of ``status`` with ``code`` and ``message``."""

    def __init__(
        self,
        status: int,
        code: str | None = None,
        message: Msg | str | None = None,
        details: Sequence[Any] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.code = code or CODES.get(status, f"http_{status}")
        if message is None:
            key = self.code if self.code in WORDED else "bad_request" if status < 500 else "internal"
            message = msg(f"api.error.{key}")
        self.message: Msg | str = message
        self.details = [str(d) for d in details]
        self.headers = headers
        super().__init__(str(self.message))

    @classmethod
    def from_error(cls, status: int, code: str, exc: PublisherError) -> ApiError:
        """The error of a refused use case, with its message and the problems it listed."""
        problems = exc.details.get("problems") or getattr(exc, "problems", None) or []
        return cls(status, code, exc.message, details=list(problems))

    def response(self) -> JSONResponse:
        return error_response(self.status, self.code, self.message, self.details, self.headers)


def error_body(code: str, message: Msg | str, details: Sequence[str] = ()) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": code,
        "message": str(message),
        "message_vi": text_in("vi", message),
        "message_en": text_in("en", message),
    }
    if details:
        body["details"] = list(details)
    return {"error": body}


def error_response(
    status: int,
    code: str,
    message: Msg | str,
    details: Sequence[str] = (),
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def validation_error(exc: RequestValidationError) -> ApiError:
    """A request the framework could not validate: which fields, and what is wrong with each."""
    fields: list[str] = []
    details: list[str] = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        name = ".".join(loc) or "body"
        fields.append(name)
        details.append(f"{name}: {err.get('msg', '')}")
    return ApiError(
        422, "validation", msg("api.error.validation", fields=", ".join(dict.fromkeys(fields))), details
    )


def http_error(exc: StarletteHTTPException) -> ApiError:
    """What a shared dependency raised (the unit check's 404, the CSRF check's 403)."""
    if exc.status_code == 403 and exc.detail == "csrf":
        return ApiError(403, "csrf")
    return ApiError(exc.status_code, headers=dict(exc.headers) if exc.headers else None)


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class ApiRoute(APIRoute):
    """A route of the API: whatever it raises is answered as the JSON error."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except ApiError as exc:
                return exc.response()
            except RequestValidationError as exc:
                return validation_error(exc).response()
            except StarletteHTTPException as exc:
                return http_error(exc).response()
            except Exception:
                log.exception("API %s %s failed", request.method, request.url.path)
                return ApiError(500).response()

        return answer


def not_found(method: str, allowed_methods: set[str]) -> JSONResponse:
    """The answer to an address under ``/api`` that no route has (or not with this method)."""
    if allowed_methods:
        allow = ", ".join(sorted(allowed_methods))
        return ApiError(
            405, message=msg("api.error.method_not_allowed", method=method[:10]), headers={"Allow": allow}
        ).response()
    return ApiError(404).response()


__all__ = [
    "ApiError",
    "ApiRoute",
    "error_body",
    "error_response",
    "http_error",
    "not_found",
    "text_in",
    "validation_error",
]
