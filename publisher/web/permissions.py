"""Who may use which page: the one table of roles × routes (tested exhaustively).

Every route of the web app has a name here. ``PUBLIC`` routes need no session; every other one
needs a signed-in user whose role is in its set, else 403. Units are a second, separate check:
a user of one unit gets 404 for another unit's post or account (see :mod:`publisher.web.deps`).
"""

from __future__ import annotations

from publisher.core.people import Role

OFFICER, APPROVER, ADMIN = Role.OFFICER, Role.APPROVER, Role.ADMIN
EVERYONE = frozenset({OFFICER, APPROVER, ADMIN})
APPROVERS = frozenset({APPROVER, ADMIN})
ADMINS = frozenset({ADMIN})

#: routes reachable without a session
PUBLIC = frozenset({"login", "login_submit", "healthz", "static", "oauth_callback"})

#: route name -> the roles allowed
PERMISSIONS: dict[str, frozenset[Role]] = {
    "logout": EVERYONE,
    "outbox": EVERYONE,
    "password": EVERYONE,
    "password_submit": EVERYONE,
    "dashboard": EVERYONE,
    "calendar": EVERYONE,
    "post": EVERYONE,
    "post_media": EVERYONE,
    "post_cancel": EVERYONE,
    "post_retry": EVERYONE,
    "post_approve": APPROVERS,
    "post_reject": APPROVERS,
    "approvals": APPROVERS,
    "accounts": EVERYONE,
    "account_check": EVERYONE,
    "account_connect": ADMINS | APPROVERS,
    "pause": EVERYONE,
    "pause_submit": APPROVERS,
    "users": ADMINS,
    "users_submit": ADMINS,
    "metrics": ADMINS,  # or a local scrape without session: see routes/metrics.py
    # part 2 (issue 14)
    "compose": EVERYONE,
    "compose_submit": EVERYONE,
    "compose_check": EVERYONE,
    "post_edit": EVERYONE,
    "post_edit_submit": EVERYONE,
    "upload": EVERYONE,
    "preview": EVERYONE,
    "import": EVERYONE,
    "import_submit": EVERYONE,
    "import_template": EVERYONE,
    "weekly": EVERYONE,
    "weekly_download": EVERYONE,
    "tokens": EVERYONE,
    "tokens_submit": EVERYONE,
}


def allowed(route: str, role: Role) -> bool:
    """Whether ``role`` may use ``route`` (an unknown route is allowed to nobody).

    An API route ``api_<name>`` has the permission of the page route ``<name>`` it mirrors,
    unless the table names it itself.
    """
    if route not in PERMISSIONS and route.startswith("api_"):
        route = route[4:]
    return role in PERMISSIONS.get(route, frozenset())


__all__ = ["ADMINS", "APPROVERS", "EVERYONE", "PERMISSIONS", "PUBLIC", "allowed"]
