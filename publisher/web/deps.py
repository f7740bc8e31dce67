"""What every page handler gets: the app's context, the signed-in viewer, the CSRF check.

A handler declares its route name with ``Depends(page("calendar"))``: the dependency finds the
session (else redirects to ``/login``), sends a user with a one-time password to ``/password``
first, refuses a role the permission table does not list (403), and for a POST checks the form's
``csrf`` field (or the ``X-CSRF-Token`` header htmx sends) against the session's token (403).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from publisher.actions.signin import Session, SignIn
from publisher.core.people import DEFAULT_UNIT, Role, User
from publisher.settings import Settings
from publisher.store import Store
from publisher.web.permissions import allowed

COOKIE = "publisher_session"


@dataclass
class Web:
    """The app-wide context (``app.state.web``)."""

    settings: Settings
    store: Store
    signin: SignIn


class Redirect(Exception):
    """Answered with a 303 to ``location`` (sign-in needed, password to change)."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


@dataclass(frozen=True)
class Viewer:
    """The signed-in user of a request."""

    session: Session
    route: str

    @property
    def user(self) -> User:
        return self.session.user

    @property
    def role(self) -> Role:
        return self.session.user.role

    @property
    def csrf(self) -> str:
        return self.session.csrf

    def may(self, route: str) -> bool:
        return allowed(route, self.role)

    @property
    def units(self) -> frozenset[str] | None:
        """The units this user sees; None: all of them (an admin)."""
        if self.role is Role.ADMIN:
            return None
        return frozenset({self.user.unit or DEFAULT_UNIT})

    def sees(self, unit: str | None) -> bool:
        units = self.units
        return units is None or (unit or DEFAULT_UNIT) in units

    def require_unit(self, unit: str | None) -> None:
        """404 for what belongs to another unit (its existence is not confirmed either)."""
        if not self.sees(unit):
            raise HTTPException(status_code=404)


def web(request: Request) -> Web:
    ctx: Web = request.app.state.web
    return ctx


def page(route: str) -> Callable[[Request], Awaitable[Viewer]]:
    """The dependency of a page or form handler named ``route`` in the permission table."""

    async def viewer(request: Request) -> Viewer:
        ctx = web(request)
        session = await run_in_threadpool(ctx.signin.session, request.cookies.get(COOKIE))
        if session is None:
            if request.method == "GET":
                raise Redirect(f"/login?next={quote(request.url.path)}")
            raise Redirect("/login")
        if session.must_change_password and route not in ("password", "password_submit", "logout"):
            raise Redirect("/password")
        if not allowed(route, session.user.role):
            raise HTTPException(status_code=403)
        if request.method not in ("GET", "HEAD"):
            await check_csrf(request, session.csrf)
        return Viewer(session, route)

    return viewer


async def check_csrf(request: Request, expected: str) -> None:
    sent = request.headers.get("x-csrf-token")
    if not sent:
        form = await request.form()
        value = form.get("csrf")
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, expected):
        raise HTTPException(status_code=403, detail="csrf")


__all__ = ["COOKIE", "Redirect", "Viewer", "Web", "check_csrf", "page", "web"]
