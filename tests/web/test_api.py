"""The JSON API: each endpoint over the same use cases as the pages, the one permission table per
role, units (another unit's post is a 404), pagination, JSON errors in both languages, CSRF for a
cookie call (not for a token call), and the OpenAPI document and its page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import update

from publisher import i18n
from publisher.core.models import PostSpec, Target
from publisher.core.people import Role
from publisher.i18n import set_language
from publisher.reports.weekly import Week, build
from publisher.store import Store
from publisher.store import schema as s
from publisher.store.users import Users
from publisher.web.api import v1
from publisher.web.api.auth import issue_token
from publisher.web.permissions import allowed
from tests.web.conftest import add_user, sign_in

DEMO = Target.parse("sandbox/demo")
OTHER = Target.parse("sandbox/xa-khac")
FAR = Target.parse("sandbox/xa-b")
OFFICER, APPROVER, ADMIN, B_OFFICER = "Cán Bộ An", "Trưởng Ban Bình", "Quản Trị", "Cán Bộ Xã B"
UNIT_B = "xa-b"
SAMPLE = {"key": "khong-co-bai"}


def spec(key: str = "bai-1", days: float = 2, **kw: Any) -> PostSpec:
    values: dict[str, Any] = dict(
        key=key,
        title="Thông báo lịch tiêm chủng",
        text="Tiêm chủng sáng thứ Bảy\ntại trạm y tế xã.",
        due_at=datetime.now(UTC).replace(microsecond=0) + timedelta(days=days),
        timezone="Asia/Ho_Chi_Minh",
        targets=(DEMO,),
    )
    values.update(kw)
    return PostSpec(**values)


def office(store: Store) -> None:
    """Two units: the default one (officer, approver, admin) and unit B (one officer)."""
    add_user(store, OFFICER, Role.OFFICER)
    add_user(store, APPROVER, Role.APPROVER)
    add_user(store, ADMIN, Role.ADMIN)
    add_user(store, B_OFFICER, Role.OFFICER, unit=UNIT_B)
    for target in (DEMO, OTHER):
        store.add_account(target, ADMIN)
    store.add_account(FAR, ADMIN, unit=UNIT_B)


def token(store: Store, name: str) -> dict[str, str]:
    user = Users(store.db).get(name)
    assert user is not None
    value, _row = issue_token(store, user, "kiểm thử")
    return {"Authorization": f"Bearer {value}"}


def states(store: Store, key: str = "bai-1") -> dict[str, str]:
    return {f"{r.platform}/{r.name}": r.state for r in store.deliveries() if r.key == key}


def error(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()["error"]
    assert body["code"] == code, body
    assert body["message_vi"] and body["message_en"] and body["message"]
    return dict(body)


@pytest.fixture
def world(web_store: Store) -> Store:
    office(web_store)
    web_store.queue([spec(targets=(DEMO, OTHER), campaign="tiem-chung")], actor=OFFICER)
    web_store.queue([spec("bai-b", targets=(FAR,))], actor=B_OFFICER, unit=UNIT_B)
    return web_store


# -- each endpoint ---------------------------------------------------------------------------------


def test_posts_list_and_one_post(client: TestClient, world: Store) -> None:
    headers = token(world, OFFICER)
    r = client.get("/api/v1/posts", headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [p["key"] for p in body["items"]] == ["bai-1"]  # not unit B's post
    item = body["items"][0]
    assert item["campaign"] == "tiem-chung" and item["unit"] == "default"
    assert {t["target"] for t in item["targets"]} == {"sandbox/demo", "sandbox/xa-khac"}
    assert item["links"] == {"self": "/api/v1/posts/bai-1", "page": "/posts/bai-1"}
    assert body["next"] is None and body["limit"] == 50

    post_id = world.post_detail("bai-1")["post"].id
    with world.db.write() as conn:
        conn.execute(
            update(s.deliveries)
            .where(s.deliveries.c.post_id == post_id)
            .values(state="published", remote_url="https://sandbox.example/p/42")
        )
        delivery = world.post_detail("bai-1")["deliveries"][0].id
        conn.execute(
            s.attempts.insert().values(
                delivery_id=delivery,
                number=1,
                kind="publish",
                started_at=datetime.now(UTC),
                outcome="failed",
                code="timeout",
                reason="Máy chủ không trả lời",
                content_hash="x",
            )
        )
    one = client.get("/api/v1/posts/bai-1", headers=headers)
    assert one.status_code == 200, one.text
    post = one.json()
    assert post["title"] == "Thông báo lịch tiêm chủng" and post["text"].startswith("Tiêm chủng")
    assert [d["url"] for d in post["deliveries"]] == ["https://sandbox.example/p/42"] * 2
    attempts = {d["id"]: d["attempts"] for d in post["deliveries"]}
    assert (
        attempts[delivery][0]["code"] == "timeout"
        and attempts[delivery][0]["reason"] == "Máy chủ không trả lời"
    )
    assert post["links"]["approve"] == "/api/v1/posts/bai-1/approve"
    assert post["trail"][0]["action"] == "queued" and post["trail"][0]["actor"] == OFFICER


def test_post_filters(client: TestClient, world: Store) -> None:
    world.queue([spec("bai-2", days=10, campaign="khac")], actor=OFFICER)
    world.queue([spec("bai-3", days=20, draft=True)], actor=OFFICER)
    headers = token(world, ADMIN)

    def keys(**params: Any) -> list[str]:
        r = client.get("/api/v1/posts", params=params, headers=headers)
        assert r.status_code == 200, r.text
        return [p["key"] for p in r.json()["items"]]

    assert keys() == ["bai-1", "bai-b", "bai-2", "bai-3"]  # an admin sees every unit, soonest first
    assert keys(unit=UNIT_B) == ["bai-b"]
    assert keys(campaign="khac") == ["bai-2"]
    assert keys(state="draft") == ["bai-3"]
    assert keys(state="draft,awaiting_approval") == ["bai-1", "bai-b", "bai-2", "bai-3"]
    day = (datetime.now(UTC) + timedelta(days=10)).astimezone(i18n.display_zone()).date()
    assert keys(**{"from": day.isoformat(), "to": day.isoformat()}) == ["bai-2"]
    assert keys(**{"from": (day + timedelta(days=1)).isoformat()}) == ["bai-3"]
    error(client.get("/api/v1/posts", params={"state": "bay"}, headers=headers), 422, "validation")
    error(client.get("/api/v1/posts", params={"from": "30/4"}, headers=headers), 422, "validation")


def test_approve_reject_cancel_retry(client: TestClient, world: Store) -> None:
    approver = token(world, APPROVER)
    r = client.post("/api/v1/posts/bai-1/approve", headers=approver)
    assert r.status_code == 200, r.text
    assert r.json()["approved_by"] == APPROVER and r.json()["first"] is True
    assert set(states(world).values()) == {"scheduled"}
    assert world.post_detail("bai-1")["post"].approved_by == APPROVER

    officer = token(world, OFFICER)
    r = client.post("/api/v1/posts/bai-1/cancel", json={"target": "sandbox/xa-khac"}, headers=officer)
    assert r.status_code == 200, r.text
    assert r.json()["codes"] == ["cancelled"] and [d["ref"] for d in r.json()["done"]] == [
        "bai-1:sandbox/xa-khac"
    ]
    assert states(world) == {"sandbox/demo": "scheduled", "sandbox/xa-khac": "cancelled"}
    error(
        client.post("/api/v1/posts/bai-1/cancel", json={"target": "sandbox/nao"}, headers=officer),
        422,
        "validation",
    )

    r = client.post("/api/v1/posts/bai-1/retry", json={"target": "sandbox/xa-khac"}, headers=officer)
    assert r.status_code == 200, r.text
    assert r.json()["codes"] in (["retried"], ["retry_approval"])
    assert states(world)["sandbox/xa-khac"] != "cancelled"

    r = client.post("/api/v1/posts/bai-1/cancel", headers=officer)  # no body: every target
    assert r.status_code == 200 and set(states(world).values()) == {"cancelled"}

    world.queue([spec("bai-2")], actor=OFFICER)
    error(
        client.post("/api/v1/posts/bai-2/reject", json={"comment": "   "}, headers=approver),
        422,
        "validation",
    )
    r = client.post("/api/v1/posts/bai-2/reject", json={"comment": "Sửa giờ tiêm"}, headers=approver)
    assert r.status_code == 200, r.text
    assert r.json() == {"key": "bai-2", "rejected_by": APPROVER, "comment": "Sửa giờ tiêm"}
    assert set(states(world, "bai-2").values()) == {"draft"}


def test_four_eyes_refusal_is_409(client: TestClient, world: Store) -> None:
    world.queue([spec("bai-cua-truong-ban")], actor=APPROVER)
    body = error(
        client.post("/api/v1/posts/bai-cua-truong-ban/approve", headers=token(world, APPROVER)),
        409,
        "approval_refused",
    )
    assert body["message_vi"] != body["message_en"]
    assert set(states(world, "bai-cua-truong-ban").values()) == {"awaiting_approval"}


def test_deliveries_accounts_approvals_me(client: TestClient, world: Store) -> None:
    officer, approver = token(world, OFFICER), token(world, APPROVER)
    r = client.get("/api/v1/deliveries", headers=officer)
    assert r.status_code == 200, r.text
    assert sorted(d["target"] for d in r.json()["items"]) == ["sandbox/demo", "sandbox/xa-khac"]
    r = client.get("/api/v1/deliveries", params={"account": "demo", "platform": "sandbox"}, headers=officer)
    assert [d["target"] for d in r.json()["items"]] == ["sandbox/demo"]
    assert r.json()["items"][0]["links"] == {"post": "/api/v1/posts/bai-1", "page": "/posts/bai-1"}

    r = client.get("/api/v1/accounts", headers=officer)
    assert r.status_code == 200, r.text
    assert sorted(a["target"] for a in r.json()["items"]) == ["sandbox/demo", "sandbox/xa-khac"]
    assert all("credentials" not in a for a in r.json()["items"])

    r = client.get("/api/v1/approvals", headers=approver)
    assert r.status_code == 200, r.text
    item = r.json()["items"][0]
    assert item["key"] == "bai-1" and item["queued_by"] == OFFICER and item["previous_approval"] is None
    assert item["targets"] == ["sandbox/demo", "sandbox/xa-khac"]

    r = client.get("/api/v1/me", headers=officer)
    assert r.json() == {
        "name": OFFICER,
        "role": "officer",
        "unit": "default",
        "units": ["default"],
        "via": "token",
    }
    assert client.get("/api/v1/me", headers=token(world, ADMIN)).json()["units"] is None


def test_calendar(client: TestClient, world: Store) -> None:
    r = client.get("/api/v1/calendar", params={"month": "2026-04"}, headers=token(world, OFFICER))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["start"] == "2026-04-01" and body["end"] == "2026-04-30"
    day = next(o for o in body["occasions"] if o["id"] == "giai-phong-mien-nam")
    assert day["date"] == "2026-04-30" and day["years"] == 51 and day["round"] is False
    assert "30/04/1975 – 30/04/2026" in day["title"] and day["plan_url"].startswith(
        "/compose?date=2026-04-30"
    )
    due = world.post_detail("bai-1")["post"].due_at.astimezone(i18n.display_zone()).date()
    r = client.get(
        "/api/v1/calendar",
        params={"from": due.isoformat(), "to": due.isoformat()},
        headers=token(world, OFFICER),
    )
    assert [d["post"] for d in r.json()["deliveries"]] == ["bai-1", "bai-1"]  # not unit B's
    assert r.json()["deliveries"][0]["local_date"] == due.isoformat()
    error(
        client.get("/api/v1/calendar", params={"week": "2026-W60"}, headers=token(world, OFFICER)),
        422,
        "validation",
    )
    error(
        client.get(
            "/api/v1/calendar",
            params={"from": "2026-01-01", "to": "2027-12-31"},
            headers=token(world, OFFICER),
        ),
        422,
        "validation",
    )


def test_weekly_report(client: TestClient, world: Store) -> None:
    week = Week.of(datetime.now(UTC).date(), world.settings.timezone)
    for key in ("bai-1", "bai-b"):
        post_id = world.post_detail(key)["post"].id
        with world.db.write() as conn:
            conn.execute(
                update(s.deliveries)
                .where(s.deliveries.c.post_id == post_id)
                .values(
                    state="published",
                    published_at=week.start + timedelta(hours=2),
                    due_at=week.start + timedelta(hours=2),
                )
            )
    r = client.get("/api/v1/reports/weekly", params={"week": week.label}, headers=token(world, OFFICER))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["week"] == week.label and body["unit"] == "default"
    expected = build(world, week, units=frozenset({"default"}))
    assert [sec["key"] for sec in body["sections"]] == [sec.key for sec in expected.sections]
    assert body["sections"][0]["rows"] == expected.sections[0].rows
    deliveries = next(sec for sec in body["sections"] if sec["key"] == "deliveries")
    assert any("bai-1" in row for row in deliveries["rows"])
    assert all("bai-b" not in row for row in deliveries["rows"])
    assert body["downloads"]["xlsx"] == f"/weekly/download?week={week.label}&format=xlsx"
    admin = client.get(
        "/api/v1/reports/weekly", params={"week": week.label, "unit": UNIT_B}, headers=token(world, ADMIN)
    )
    assert admin.json()["unit"] == UNIT_B
    error(
        client.get("/api/v1/reports/weekly", params={"unit": UNIT_B}, headers=token(world, OFFICER)),
        404,
        "not_found",
    )
    error(
        client.get("/api/v1/reports/weekly", params={"week": "2026-W77"}, headers=token(world, OFFICER)),
        422,
        "validation",
    )


# -- permissions and units -------------------------------------------------------------------------


def _api_routes() -> list[tuple[str, str, str]]:
    out = []
    for route in v1.ROUTES:
        assert isinstance(route, APIRoute)
        path = re.sub(r"\{(\w+)\}", lambda m: SAMPLE.get(m.group(1), "1"), route.path)
        out += [(route.name, method, path) for method in sorted((route.methods or set()) - {"HEAD"})]
    return out


def test_every_api_route_is_named_after_a_page_of_the_table() -> None:
    names = {name for name, _m, _p in _api_routes()}
    assert len(names) >= 10
    for name in names:
        assert name.startswith("api_") and any(allowed(name, role) for role in Role), name


@pytest.mark.parametrize("role", list(Role))
def test_each_role_against_each_api_route(client: TestClient, web_store: Store, role: Role) -> None:
    add_user(web_store, f"nguoi-{role.value}", role)
    headers = token(web_store, f"nguoi-{role.value}")
    for name, method, path in _api_routes():
        r = client.request(method, path, headers=headers, json={"comment": "x"} if method == "POST" else None)
        if allowed(name, role):
            assert r.status_code != 403, (role, name, method, path, r.text)
        else:
            error(r, 403, "forbidden")


def test_without_credentials_every_api_route_is_401(client: TestClient) -> None:
    for _name, method, path in _api_routes():
        error(client.request(method, path), 401, "unauthenticated")
        error(client.request(method, path, headers={"Authorization": "Bearer pub_sai"}), 401, "invalid_token")


def test_an_officer_cannot_approve_through_the_api(client: TestClient, world: Store) -> None:
    body = error(client.post("/api/v1/posts/bai-1/approve", headers=token(world, OFFICER)), 403, "forbidden")
    assert body["message_vi"] == "Vai trò của bạn không được làm việc này."
    assert body["message_en"] == "Your role may not do this."
    assert set(states(world).values()) == {"awaiting_approval"}


def test_another_units_post_is_a_404(client: TestClient, world: Store) -> None:
    officer, b_officer = token(world, OFFICER), token(world, B_OFFICER)
    error(client.get("/api/v1/posts/bai-b", headers=officer), 404, "not_found")
    error(client.post("/api/v1/posts/bai-b/cancel", headers=officer), 404, "not_found")
    error(client.post("/api/v1/posts/bai-b/approve", headers=token(world, APPROVER)), 404, "not_found")
    assert set(states(world, "bai-b").values()) == {"awaiting_approval"}
    # the same answer as a post that does not exist
    assert (
        client.get("/api/v1/posts/bai-b", headers=officer).json()
        == client.get("/api/v1/posts/khong-co", headers=officer).json()
    )
    assert client.get("/api/v1/posts", params={"unit": UNIT_B}, headers=officer).json()["items"] == []
    assert [p["key"] for p in client.get("/api/v1/posts", headers=b_officer).json()["items"]] == ["bai-b"]
    assert client.get("/api/v1/deliveries", params={"post": "bai-b"}, headers=officer).json()["items"] == []
    assert [a["target"] for a in client.get("/api/v1/accounts", headers=b_officer).json()["items"]] == [
        "sandbox/xa-b"
    ]
    assert (
        client.get("/api/v1/approvals", headers=token(world, APPROVER)).json()["items"][0]["key"] == "bai-1"
    )
    assert len(client.get("/api/v1/approvals", headers=token(world, APPROVER)).json()["items"]) == 1


# -- pagination ------------------------------------------------------------------------------------


def test_pages_follow_the_next_link_to_the_end(client: TestClient, world: Store) -> None:
    world.queue([spec(f"lo-{i:02d}", days=3 + i) for i in range(6)], actor=OFFICER)
    headers = token(world, OFFICER)
    seen: list[str] = []
    url: str | None = "/api/v1/posts?limit=3"
    pages = 0
    while url:
        r = client.get(url, headers=headers)
        assert r.status_code == 200, r.text
        assert len(r.json()["items"]) <= 3
        seen += [p["key"] for p in r.json()["items"]]
        url = r.json()["next"]
        pages += 1
    assert seen == ["bai-1"] + [f"lo-{i:02d}" for i in range(6)] and pages == 3
    by_offset = client.get("/api/v1/posts", params={"limit": 3, "offset": 3}, headers=headers).json()
    assert [p["key"] for p in by_offset["items"]] == ["lo-02", "lo-03", "lo-04"]
    assert by_offset["next"] is not None and "offset=6" in by_offset["next"]
    filtered = client.get(
        "/api/v1/deliveries", params={"limit": 2, "state": "awaiting_approval"}, headers=headers
    )
    assert "state=awaiting_approval" in filtered.json()["next"] and "cursor=" in filtered.json()["next"]
    rest = client.get(filtered.json()["next"], headers=headers).json()
    assert {d["id"] for d in rest["items"]}.isdisjoint({d["id"] for d in filtered.json()["items"]})


def test_the_limit_is_capped_and_checked(client: TestClient, world: Store) -> None:
    headers = token(world, OFFICER)
    assert client.get("/api/v1/posts", params={"limit": 100000}, headers=headers).json()["limit"] == 500
    assert client.get("/api/v1/deliveries", params={"limit": 501}, headers=headers).json()["limit"] == 500
    body = error(client.get("/api/v1/posts", params={"limit": 0}, headers=headers), 422, "validation")
    assert "limit" in body["message_en"] and body["details"]
    error(client.get("/api/v1/posts", params={"cursor": "khong-phai"}, headers=headers), 422, "bad_cursor")
    error(
        client.get("/api/v1/posts", params={"cursor": "x", "offset": 1}, headers=headers), 422, "validation"
    )


# -- errors, CSRF, the documentation ---------------------------------------------------------------


def test_errors_are_json_in_both_languages(client: TestClient, world: Store) -> None:
    headers = token(world, OFFICER)
    body = error(client.get("/api/v1/posts/khong-co", headers=headers), 404, "not_found")
    assert (body["message_vi"], body["message_en"]) == ("Không tìm thấy.", "Not found.")
    assert body["message"] == body["message_vi"]
    set_language("en")  # the autouse fixture of tests/conftest.py sets it back to vi
    assert (
        error(client.get("/api/v1/posts/khong-co", headers=headers), 404, "not_found")["message"]
        == "Not found."
    )
    error(client.get("/api/v1/khong-co", headers=headers), 404, "not_found")
    r = client.get("/api/v1/posts/bai-1/approve", headers=headers)
    error(r, 405, "method_not_allowed")
    assert r.headers["allow"] == "POST"
    bad = error(
        client.post(
            "/api/v1/posts/bai-1/reject",
            content=b"{",
            headers={**headers, "content-type": "application/json"},
        ),
        422,
        "validation",
    )
    assert bad["details"]


def test_csrf_for_a_cookie_call_but_not_for_a_token_call(client: TestClient, world: Store) -> None:
    csrf = sign_in(client, OFFICER)
    assert client.get("/api/v1/me").json()["via"] == "session"
    error(client.post("/api/v1/posts/bai-1/cancel", json={"target": "sandbox/demo"}), 403, "csrf")
    error(client.post("/api/v1/posts/bai-1/cancel", headers={"X-CSRF-Token": "gia"}), 403, "csrf")
    assert states(world)["sandbox/demo"] == "awaiting_approval"
    r = client.post(
        "/api/v1/posts/bai-1/cancel", json={"target": "sandbox/demo"}, headers={"X-CSRF-Token": csrf}
    )
    assert r.status_code == 200 and states(world)["sandbox/demo"] == "cancelled"
    client.cookies.clear()
    r = client.post("/api/v1/posts/bai-1/cancel", headers=token(world, OFFICER))
    assert r.status_code == 200, r.text
    assert set(states(world).values()) == {"cancelled"}


def test_the_openapi_document_lists_the_endpoints(client: TestClient) -> None:
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    paths = doc["paths"]
    for path, method in [
        ("/api/v1/posts", "get"),
        ("/api/v1/posts/{key}", "get"),
        ("/api/v1/posts/{key}/approve", "post"),
        ("/api/v1/posts/{key}/reject", "post"),
        ("/api/v1/posts/{key}/cancel", "post"),
        ("/api/v1/posts/{key}/retry", "post"),
        ("/api/v1/deliveries", "get"),
        ("/api/v1/accounts", "get"),
        ("/api/v1/approvals", "get"),
        ("/api/v1/calendar", "get"),
        ("/api/v1/reports/weekly", "get"),
    ]:
        assert method in paths[path], path
    assert not [p for p in paths if not p.startswith("/api/v1/")]  # the HTML pages are not the API
    listing = paths["/api/v1/posts"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {
        "limit",
        "cursor",
        "offset",
        "state",
        "from",
        "to",
        "campaign",
        "unit",
    }
    assert listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/PostPage")
    assert paths["/api/v1/posts/{key}/approve"]["post"]["responses"]["409"]
    assert doc["components"]["securitySchemes"]["token"]["scheme"] == "bearer"


def test_the_docs_page_has_no_inline_script(client: TestClient) -> None:
    r = client.get("/api/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "/api/v1/posts/{key}/approve" in html and 'id="schema-PostDetail"' in html
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts and all('src="/static/' in attrs and not body.strip() for attrs, body in scripts)
    assert " style=" not in html and "onclick" not in html.lower() and "cdn" not in html.lower()
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert 'href="/tokens"' in html and 'action="/logout"' not in html  # public: no navigation


def test_the_docs_page_shows_the_navigation_to_a_signed_in_user(client: TestClient, web_store: Store) -> None:
    add_user(web_store, OFFICER, Role.OFFICER)
    sign_in(client, OFFICER)
    html = client.get("/api/docs").text
    assert 'action="/logout"' in html and OFFICER in html
