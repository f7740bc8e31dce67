"""Connecting accounts from the browser, checking them, and their health for the Accounts page.

The flows are the CLI's (:mod:`publisher.platforms.connect`: the consent URLs, the code exchange
with PKCE, the Page token from a user token) and the new credentials are saved by the same
:meth:`Store.update_credentials` as ``publisher accounts connect``; "check now" is
:func:`publisher.actions.accounts.check_access`, as ``publisher accounts check``. What the browser
adds is the OAuth ``state``: issued here, kept server-side (:mod:`publisher.store.oauth`), bound to
the web session that began the flow, used once and only until it expires. A state that is
unknown, used, expired, or comes back in another session is refused and nothing is saved.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from publisher.actions.accounts import CONNECT_FLOWS, REFRESHING, check_access
from publisher.core.models import Platform, Target
from publisher.core.people import DEFAULT_UNIT, validate_unit
from publisher.errors import NotFound, PublisherError, UserError
from publisher.i18n import msg, register
from publisher.platforms import connect as flows
from publisher.platforms.facebook import auth as facebook_auth
from publisher.settings import Settings
from publisher.store import Store
from publisher.store.accounts import ReconnectReport
from publisher.store.oauth import STATE_TTL, OAuthStates, PendingAuth

register(
    {
        "webconnect.bad_target": (
            "Tên tài khoản “{name}” không hợp lệ: chữ thường không dấu, số, dấu chấm, gạch ngang (tối đa 63 ký tự).",
            "The account name “{name}” is not valid: lower-case letters, digits, dots and dashes (at most 63).",
        ),
        "webconnect.no_flow": (
            "Nền tảng “{platform}” không kết nối qua trình duyệt được.",
            "The platform “{platform}” cannot be connected in the browser.",
        ),
        "webconnect.state_unknown": (
            "Phiên kết nối không hợp lệ, đã dùng hoặc đã hết hạn (state). Không lưu gì; hãy bắt đầu kết nối lại.",
            "This connection is not valid, already used or expired (state). Nothing was saved; start again.",
        ),
        "webconnect.state_session": (
            "Phiên kết nối này được bắt đầu trong một phiên đăng nhập khác. Không lưu gì; hãy đăng nhập và "
            "bắt đầu lại.",
            "This connection was begun in another sign-in session. Nothing was saved; sign in and start again.",
        ),
        "webconnect.consent_refused": (
            "Nền tảng báo không cấp quyền ({error}). Không lưu gì.",
            "The platform says access was not granted ({error}). Nothing was saved.",
        ),
        "webconnect.no_code": (
            "Nền tảng không trả mã (code). Không lưu gì; hãy bắt đầu lại.",
            "The platform returned no code. Nothing was saved; start again.",
        ),
        "webconnect.empty_token": (
            "Hãy dán user access token của quản trị viên Trang.",
            "Paste the Page admin's user access token.",
        ),
        "webconnect.token_spaces": (
            "Token có khoảng trắng ở giữa; dán đúng một token.",
            "The token contains spaces; paste exactly one token.",
        ),
        "webconnect.no_pages": (
            "Token này không quản lý Trang nào (hoặc Trang chưa được chọn khi cấp quyền cho ứng dụng).",
            "This token manages no Page (or the Page was not picked when the app was authorised).",
        ),
        "webconnect.page_not_offered": (
            "Trang {page} không nằm trong danh sách đã đưa ra. Không lưu gì; hãy bắt đầu lại.",
            "Page {page} was not among those offered. Nothing was saved; start again.",
        ),
    }
)

#: the callback path of each OAuth provider -> the platform it connects
PROVIDERS = {"google": Platform.YOUTUBE, "zalo": Platform.ZALO}
CALLBACK_PATH = "/accounts/oauth/{provider}/callback"


class OtherUnit(NotFound):
    """The account belongs to a unit the user does not see (the page answers 404, as for none)."""


class StateRefused(UserError):
    """The OAuth ``state`` that came back is unknown, used, expired, or of another session."""


@dataclass(frozen=True)
class Actor:
    """Who acts in the browser: the audit name, the web session, the units seen (None: all)."""

    name: str
    session_id: str
    units: frozenset[str] | None

    def sees(self, unit: str | None) -> bool:
        return self.units is None or (unit or DEFAULT_UNIT) in self.units

    @property
    def own_unit(self) -> str:
        """The unit a new account of this actor joins unless an admin chooses one."""
        return min(self.units) if self.units else DEFAULT_UNIT


@dataclass(frozen=True)
class Connected:
    """What a connection saved: the account, and what the new credentials released."""

    target: Target
    report: ReconnectReport
    page_name: str | None = None


@dataclass(frozen=True)
class Begun:
    """A connection begun: the consent URL to open, or (Facebook) the Pages to pick from."""

    state: str
    url: str | None = None
    pages: tuple[dict[str, str], ...] = ()


def public_url(settings: Settings) -> str:
    """The address users reach the app by: ``web.public_url``, else ``http://HOST:PORT``."""
    web = settings.web
    return (web.public_url or f"http://{web.host}:{web.port}").rstrip("/")


def redirect_uri(settings: Settings, provider: str) -> str:
    """Where ``provider`` sends the browser back to (register exactly this with the app)."""
    return public_url(settings) + CALLBACK_PATH.format(provider=provider)


class BrowserConnect:
    """The connect flows of the Accounts page, over the store and the platforms' token endpoints."""

    def __init__(self, settings: Settings, store: Store, http: requests.Session | None = None) -> None:
        self.settings = settings
        self.store = store
        self.http = http or requests.Session()
        self.states = OAuthStates(store.db, store.vault)

    # -- which account -------------------------------------------------------------------
    def target(
        self, platform: str, name: str, actor: Actor, unit: str | None = None
    ) -> tuple[Target, str | None]:
        """The account to connect and, for a new one, the unit it will join: an existing account
        must be of a unit ``actor`` sees (else :class:`OtherUnit`); a new one joins ``unit`` (an
        admin's choice) or the actor's own unit."""
        try:
            target = Target.parse(f"{platform}/{name}")
        except ValueError:
            raise UserError(msg("webconnect.bad_target", name=name[:80])) from None
        if target.platform not in CONNECT_FLOWS:
            raise UserError(msg("webconnect.no_flow", platform=platform[:40]))
        try:
            row = self.store.account(target)
        except NotFound:
            row = None
        if row is not None:
            if not actor.sees(row.unit):
                raise OtherUnit(msg("store.no_account", target=target))
            return target, None
        wanted = validate_unit(unit) or actor.own_unit
        if not actor.sees(wanted):
            raise OtherUnit(msg("store.no_account", target=target))
        return target, wanted

    # -- Google and Zalo: the consent page, then the callback ----------------------------
    def begin(
        self, platform: str, name: str, actor: Actor, unit: str | None = None, now: datetime | None = None
    ) -> Begun:
        """Google (YouTube) or Zalo: the consent URL, its state kept until the callback."""
        target, new_unit = self.target(platform, name, actor, unit)
        provider = next((p for p, plat in PROVIDERS.items() if plat is target.platform), None)
        if provider is None:
            raise UserError(msg("webconnect.no_flow", platform=platform))
        uri = redirect_uri(self.settings, provider)
        if provider == "google":
            start = flows.youtube_start(self.settings.youtube, uri)
        else:
            start = flows.zalo_start(self.settings.zalo, uri)
        secret = {"verifier": start.verifier} if start.verifier else {}
        self._keep(start.state, provider, target, actor, now, new_unit, redirect_uri=uri, sealed=secret)
        return Begun(start.state, url=start.url)

    def finish(
        self,
        provider: str,
        state: str,
        code: str | None,
        actor: Actor | None,
        *,
        error: str | None = None,
        oa_id: str | None = None,
        now: datetime | None = None,
    ) -> Connected:
        """The callback: the state checked and spent first, then the code exchanged (the CLI's
        flow) and the credentials saved as ``accounts connect`` saves them."""
        pending, actor = self._spend(state, provider, actor, now)
        if error:
            raise UserError(msg("webconnect.consent_refused", error=error[:80]))
        if not code:
            raise UserError(msg("webconnect.no_code"))
        target, unit = self._recheck(pending, actor)
        uri = pending.redirect_uri or redirect_uri(self.settings, provider)
        if provider == "google":
            creds = flows.youtube_finish(self.settings.youtube, self.http, code, uri)
        else:
            verifier = pending.secrets.get("verifier", "")
            creds = flows.zalo_finish(self.settings.zalo, self.http, code, verifier, oa_id or None)
        return Connected(target, self._save(target, creds, actor, unit))

    # -- Facebook: a user token pasted, its Pages listed, one picked ---------------------
    def facebook_pages(
        self, name: str, user_token: str, actor: Actor, unit: str | None = None, now: datetime | None = None
    ) -> Begun:
        """The Pages a Page admin's user token manages (exchanged for a long-lived one first, so
        that the Page token never expires); the token waits sealed for the pick."""
        target, new_unit = self.target(Platform.FACEBOOK.value, name, actor, unit)
        token = (user_token or "").strip()
        if not token:
            raise UserError(msg("webconnect.empty_token"))
        if any(ch.isspace() for ch in token):
            raise UserError(msg("webconnect.token_spaces"))
        cfg = self.settings.facebook
        long_lived = facebook_auth.long_lived_user_token(cfg, self.http, token)
        pages = tuple(_pages(cfg, self.http, long_lived))
        if not pages:
            raise UserError(msg("webconnect.no_pages"))
        state = secrets.token_urlsafe(16)
        kept = {"user_token": long_lived}
        self._keep(state, "facebook", target, actor, now, new_unit, sealed=kept, pages=list(pages))
        return Begun(state, pages=pages)

    def facebook_pick(self, state: str, page_id: str, actor: Actor, now: datetime | None = None) -> Connected:
        """The picked Page's token (``/me/accounts``, the CLI's flow), saved for the account."""
        pending, actor = self._spend(state, "facebook", actor, now)
        page = next((p for p in pending.pages if p.get("id") == page_id), None)
        if page is None:
            raise UserError(msg("webconnect.page_not_offered", page=page_id[:40]))
        target, unit = self._recheck(pending, actor)
        creds = flows.facebook_page_token(
            self.settings.facebook, self.http, pending.secrets.get("user_token", ""), page_id, exchange=False
        )
        return Connected(target, self._save(target, creds, actor, unit), page_name=page.get("name"))

    # -- check now -----------------------------------------------------------------------
    def check(self, account_id: int, actor: Actor) -> tuple[Any, flows.AccessCheck]:
        """``publisher accounts check`` for one account of a unit ``actor`` sees."""
        row = account_row(self.store, account_id, actor)
        return row, check_access(self.store, self.settings, row)

    # -- the state -----------------------------------------------------------------------
    def _keep(
        self,
        state: str,
        provider: str,
        target: Target,
        actor: Actor,
        now: datetime | None,
        unit: str | None,
        *,
        redirect_uri: str | None = None,
        sealed: dict[str, str] | None = None,
        pages: list[dict[str, str]] | None = None,
    ) -> None:
        moment = now or datetime.now(UTC)
        pending = PendingAuth(
            provider=provider,
            target=str(target),
            session_id=actor.session_id,
            actor=actor.name,
            expires_at=moment + STATE_TTL,
            unit=unit,
            redirect_uri=redirect_uri,
            secrets=dict(sealed or {}),
            pages=list(pages or []),
        )
        self.states.put(state, pending, now=moment)

    def _spend(
        self, state: str, provider: str, actor: Actor | None, now: datetime | None
    ) -> tuple[PendingAuth, Actor]:
        """The pending connection of ``state``, spent whatever follows; refused unless it is
        ``provider``'s and came back in the session that began it."""
        pending = self.states.take(state or "", now=now or datetime.now(UTC))
        if pending is None or pending.provider != provider:
            raise StateRefused(msg("webconnect.state_unknown"))
        if actor is None or actor.session_id != pending.session_id:
            raise StateRefused(msg("webconnect.state_session"))
        return pending, actor

    def _recheck(self, pending: PendingAuth, actor: Actor) -> tuple[Target, str | None]:
        """The account again at the end of the flow (it may have been added meanwhile, or the
        user moved to another unit): the same rule as at the start."""
        target = Target.parse(pending.target)
        return self.target(target.platform.value, target.name, actor, pending.unit)

    def _save(self, target: Target, creds: Any, actor: Actor, unit: str | None) -> ReconnectReport:
        """As ``accounts add`` (a new account, in ``unit``) then ``accounts connect``: the
        credentials sealed, the account active, what waited for them released."""
        if unit is not None:
            self.store.add_account(target, actor.name, unit=unit, exist_ok=True)
        report = self.store.update_credentials(target, creds, actor.name, via="web")
        report.created = unit is not None
        return report


def _pages(settings: Any, http: requests.Session, user_token: str) -> list[dict[str, str]]:
    """The Pages of ``/me/accounts`` (id and name only; their tokens are fetched at the pick)."""
    url: str | None = f"{settings.graph_url.rstrip('/')}/{settings.api_version}/me/accounts"
    params = {"fields": "id,name", "access_token": user_token, "limit": "100"}
    out: list[dict[str, str]] = []
    while url and len(out) < 500:
        body = facebook_auth._get(http, url, params)  # the same error handling as the Page token
        out += [{"id": str(p["id"]), "name": str(p.get("name") or p["id"])} for p in body.get("data") or []]
        url = (body.get("paging") or {}).get("next")
        params = {}
    return out


# -- the Accounts page: each account's health -------------------------------------------------


@dataclass(frozen=True)
class AccountHealth:
    """One row of the Accounts page (never a token)."""

    id: int
    target: str
    platform: str
    name: str
    display_name: str | None
    unit: str
    status: str
    status_reason: str | None
    remote_id: str | None
    connected: bool  # credentials are stored
    browser_flow: bool  # Google, Zalo or Facebook: connectable from the page
    token_expires_at: datetime | None
    token_days: int | None  # whole days left (negative: expired)
    renews_itself: bool  # a refresh token renews the access token
    refresh_expires_at: datetime | None
    refresh_days: int | None
    last_success_at: datetime | None
    last_success_url: str | None
    last_success_post: str | None


def days_left(when: datetime | None, now: datetime) -> int | None:
    if when is None:
        return None
    return math.floor((when - now).total_seconds() / 86400)


def account_row(store: Store, account_id: int, actor: Actor) -> Any:
    """The account ``account_id`` if ``actor`` sees its unit; :class:`NotFound` (404) otherwise."""
    row = next((a for a in store.accounts() if int(a.id) == account_id), None)
    if row is None:
        raise NotFound(msg("store.no_account", target=f"#{account_id}"))
    if not actor.sees(row.unit):
        raise OtherUnit(msg("store.no_account", target=f"#{account_id}"))
    return row


def health(store: Store, actor: Actor, now: datetime | None = None) -> list[AccountHealth]:
    """The accounts of the units ``actor`` sees, with token days left and the last success."""
    now = now or datetime.now(UTC)
    rows = [a for a in store.accounts() if actor.sees(a.unit)]
    if not rows:
        return []
    last: dict[int, Any] = {}
    for d in store.deliveries(states=["published"]):
        when = d.published_at or d.due_at
        best = last.get(int(d.account_id))
        if best is None or when > (best.published_at or best.due_at):
            last[int(d.account_id)] = d
    out: list[AccountHealth] = []
    for a in rows:
        platform = Platform(a.platform)
        renews = False
        if a.credentials and platform in REFRESHING:
            try:
                renews = bool(store.credentials(int(a.id)).refresh_token)
            except PublisherError:  # a key problem shows on the check; the page still lists
                renews = False
        hit = last.get(int(a.id))
        out.append(
            AccountHealth(
                id=int(a.id),
                target=f"{a.platform}/{a.name}",
                platform=a.platform,
                name=a.name,
                display_name=a.display_name,
                unit=a.unit or DEFAULT_UNIT,
                status=a.status,
                status_reason=a.status_reason,
                remote_id=a.remote_id,
                connected=bool(a.credentials),
                browser_flow=platform in CONNECT_FLOWS,
                token_expires_at=a.token_expires_at,
                token_days=days_left(a.token_expires_at, now),
                renews_itself=renews,
                refresh_expires_at=a.refresh_expires_at,
                refresh_days=days_left(a.refresh_expires_at, now),
                last_success_at=(hit.published_at or hit.due_at) if hit is not None else None,
                last_success_url=hit.remote_url if hit is not None else None,
                last_success_post=hit.key if hit is not None else None,
            )
        )
    return out


__all__ = [
    "PROVIDERS",
    "AccountHealth",
    "Actor",
    "Begun",
    "BrowserConnect",
    "Connected",
    "OtherUnit",
    "StateRefused",
    "account_row",
    "days_left",
    "health",
    "public_url",
    "redirect_uri",
]
