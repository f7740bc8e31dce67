"""The weekly review page: the same sections, numbers and charts as ``publisher report weekly`` for
the same week, the unit's posts only (page and downloads), the XLSX/CSV/HTML downloads, a clear
400 for a bad ``?week=``, and each post's engagement log (+1 h / +24 h / +7 d) one click away."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select, update

from publisher.core.models import Target
from publisher.core.people import Role
from publisher.i18n import set_language
from publisher.platforms.base import Credentials
from publisher.reports.render_csv import render_csv
from publisher.reports.render_xlsx import sheet_name
from publisher.reports.weekly import Week, build
from publisher.store import Store
from publisher.store import schema as s
from publisher.web.routes import weekly as weekly_page
from tests.reports.test_weekly import AFTER, EXPECTED, W18, followers, seed_two_weeks, vn
from tests.test_engagement import account, delivery, post, snapshot
from tests.web.conftest import add_user, sign_in

UNIT_B = "xa-b"
B_KEY, B_TITLE = "bai-xa-b", "Tin riêng của xã B"


class Tables(HTMLParser):
    """The text of every cell of every ``<table data-section=…>``, and the charts, of a page."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.charts: list[tuple[str, str]] = []
        self._section: str | None = None
        self._figure: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_body = False
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and a.get("data-section"):
            self._section = a["data-section"]
            self.tables[str(self._section)] = []
        elif tag == "tbody" and self._section:
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = []
        elif tag == "figure" and a.get("data-chart"):
            self._figure = a["data-chart"]
        elif tag == "img" and self._figure:
            self.charts.append((self._figure, str(a.get("src"))))

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._section:
            self.tables[self._section].append(self._row)
            self._row = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._section = None
        elif tag == "figure":
            self._figure = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def shown(rows: list[list[Any]]) -> list[list[str]]:
    """Cells as the page shows them: a figure not reported is "—"."""
    return [["—" if v is None else str(v) for v in row] for row in rows]


def expected_page(report_rows: list[list[Any]]) -> list[list[str]]:
    return shown(report_rows) or [["Không có dòng nào."]]


def delivery_id(store: Store, key: str, target: str) -> int:
    platform, name = target.split("/")
    D, P, A = s.deliveries, s.posts, s.accounts
    with store.db.read() as conn:
        found = conn.execute(
            select(D.c.id)
            .join(P, P.c.id == D.c.post_id)
            .join(A, A.c.id == D.c.account_id)
            .where(P.c.key == key, A.c.platform == platform, A.c.name == name)
        ).scalar_one()
    return int(found)


def seed_unit_b(store: Store) -> None:
    """A post of another unit, published in the same week on that unit's own account."""
    acc = store.add_account(
        Target.parse("facebook/xa-b"), "can-bo", credentials=Credentials(access_token="T"), unit=UNIT_B
    )
    due = vn(2025, 4, 30, 9, 0)
    pid = post(store, B_KEY, due, "Chiến dịch xã B", B_TITLE)
    with store.db.write() as conn:
        conn.execute(update(s.posts).where(s.posts.c.id == pid).values(unit=UNIT_B))
    did = delivery(store, pid, acc, due, remote_id="b_1", remote_url="https://www.facebook.com/b_1")
    snapshot(store, did, due + timedelta(hours=1), "1h", views=777, reactions=77)
    followers(store, acc, date(2025, 5, 4), 3333)


@pytest.fixture
def seeded(web_store: Store) -> Store:
    seed_two_weeks(web_store)
    return web_store


def test_the_page_shows_the_cli_report_of_the_week(client: TestClient, seeded: Store) -> None:
    add_user(seeded, "an", Role.OFFICER)
    sign_in(client, "an")
    r = client.get(f"/weekly?week={W18}")
    assert r.status_code == 200
    cli = build(seeded, Week.parse(W18, seeded.settings.timezone), AFTER)  # what the CLI prints
    assert cli.title in r.text and "Báo cáo tuần 2025-W18 (28/04/2025 – 04/05/2025)" in r.text
    page = Tables(r.text)
    assert list(page.tables) == [sec.key for sec in cli.sections] == list(EXPECTED)
    for sec in cli.sections:
        assert f"<h2>{sec.title}</h2>" in r.text
        assert page.tables[sec.key] == expected_page(sec.rows) == expected_page(EXPECTED[sec.key]), sec.key
        head = r.text.split(f'data-section="{sec.key}"')[1].split("</thead>")[0]
        assert re.findall(r'<th scope="col">([^<]*)</th>', head) == sec.columns
    assert [k for k, _ in page.charts] == ["status", "views", "top", "followers"]
    assert all(src.startswith("data:image/png;base64,iVBOR") for _, src in page.charts)
    assert '<a href="https://www.facebook.com/1_1" rel="noopener noreferrer">' in r.text
    for fmt in ("xlsx", "csv", "html"):
        assert f'href="/weekly/download?week={W18}&amp;format={fmt}"' in r.text


def test_the_default_week_is_the_last_complete_one(client: TestClient, web_store: Store) -> None:
    add_user(web_store, "an", Role.OFFICER)
    sign_in(client, "an")
    r = client.get("/weekly")
    assert r.status_code == 200
    last = Week.last_complete(datetime.now(UTC), web_store.settings.timezone)
    assert f'value="{last.label}"' in r.text
    assert f"/weekly?week={last.previous(web_store.settings.timezone).label}" in r.text
    assert "Không có bài nào được đăng trong tuần này." in r.text


@pytest.mark.parametrize(
    "week", ["2026-W60", "tuan-18", "2026-18", "9999-W52", "0001-W01", "1800-W02", "<b>x</b>"]
)
def test_a_bad_week_is_a_400_with_an_example(client: TestClient, web_store: Store, week: str) -> None:
    add_user(web_store, "an", Role.OFFICER)
    sign_in(client, "an")
    for path in ("/weekly", "/weekly/download"):
        r = client.get(path, params={"week": week})
        assert r.status_code == 400, (path, week)
        assert "ví dụ ?week=2026-W18" in r.text and 'role="alert"' in r.text
        assert "<b>x</b>" not in r.text


def test_a_bad_format_is_a_400(client: TestClient, web_store: Store) -> None:
    add_user(web_store, "an", Role.OFFICER)
    sign_in(client, "an")
    r = client.get("/weekly/download", params={"week": W18, "format": "pdf"})
    assert r.status_code == 400 and "“pdf”" in r.text and "xlsx, csv, html" in r.text


def test_xlsx_download_opens_with_the_rows(client: TestClient, seeded: Store) -> None:
    add_user(seeded, "an", Role.OFFICER)
    sign_in(client, "an")
    r = client.get("/weekly/download", params={"week": W18, "format": "xlsx"})
    assert r.status_code == 200
    assert r.headers["content-disposition"] == 'attachment; filename="bao-cao-tuan-2025-W18.xlsx"'
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == [sheet_name("about")] + [sheet_name(k) for k in EXPECTED]
    for key, rows in EXPECTED.items():
        got = [[c.value for c in row] for row in wb[sheet_name(key)].iter_rows(min_row=3)]
        assert got == rows, key
    plain = client.get("/weekly/download", params={"week": W18})  # no ?format=: the workbook
    assert plain.headers["content-disposition"] == 'attachment; filename="bao-cao-tuan-2025-W18.xlsx"'


def test_csv_and_html_downloads(client: TestClient, seeded: Store) -> None:
    add_user(seeded, "an", Role.OFFICER)
    sign_in(client, "an")
    r = client.get("/weekly/download", params={"week": W18, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == 'attachment; filename="bao-cao-tuan-2025-W18.csv"'
    assert r.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for Vietnamese text
    got = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    cli = list(csv.reader(io.StringIO(render_csv(build(seeded, Week.parse(W18, "Asia/Ho_Chi_Minh"), AFTER)))))
    assert got[0] == cli[0] and got[2:] == cli[2:]  # line 1: "generated at", now
    assert ["", "", "", "", "", "", ""] not in got and ["Tất cả", "6", "3", "1", "1", "1", "1"] in got

    r = client.get("/weekly/download", params={"week": W18, "format": "html"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["content-disposition"] == 'attachment; filename="bao-cao-tuan-2025-W18.html"'
    assert r.text.count("<table ") == len(EXPECTED) and '<td class="num">950</td>' in r.text
    assert (
        len(re.findall(r'<figure data-chart="\w+"><img alt="[^"]+" src="data:image/png;base64,', r.text)) == 4
    )


def test_an_officer_sees_only_the_posts_of_their_unit(client: TestClient, seeded: Store) -> None:
    seed_unit_b(seeded)
    add_user(seeded, "an", Role.OFFICER)
    sign_in(client, "an")
    r = client.get(f"/weekly?week={W18}")
    assert r.status_code == 200
    page = Tables(r.text)
    for key, rows in EXPECTED.items():  # unchanged by the other unit's post, account, followers
        assert page.tables[key] == expected_page(rows), key
    assert B_KEY not in r.text and B_TITLE not in r.text and "xa-b" not in r.text
    for fmt in ("csv", "html"):
        text = client.get("/weekly/download", params={"week": W18, "format": fmt}).content.decode("utf-8-sig")
        assert "le-30-4" in text and B_KEY not in text and "facebook/xa-b" not in text, fmt
    wb = load_workbook(io.BytesIO(client.get("/weekly/download", params={"week": W18}).content))
    cells = {str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row}
    assert "le-30-4" in cells and B_KEY not in cells and "facebook/xa-b" not in cells
    # naming the other unit is not a way in
    assert client.get(f"/weekly?week={W18}&unit={UNIT_B}").status_code == 404
    assert client.get("/weekly/download", params={"week": W18, "unit": UNIT_B}).status_code == 404

    add_user(seeded, "binh", Role.OFFICER, unit=UNIT_B)
    sign_in(client, "binh")
    r = client.get(f"/weekly?week={W18}")
    page = Tables(r.text)
    assert [row[1] for row in page.tables["posts"]] == [B_KEY]
    assert page.tables["followers"] == [["facebook/xa-b", "3333", "—", "—", "—"]]
    assert "le-30-4" not in r.text and "Đơn vị: xa-b" in r.text
    assert 'id="weekly-unit"' not in r.text  # no unit picker but for an admin


def test_an_admin_sees_all_units_or_picks_one(client: TestClient, seeded: Store) -> None:
    seed_unit_b(seeded)
    add_user(seeded, "quan-tri", Role.ADMIN)
    sign_in(client, "quan-tri")
    every = Tables(client.get(f"/weekly?week={W18}").text)
    assert {row[1] for row in every.tables["posts"]} == {"le-30-4", "hop-dan", B_KEY}
    r = client.get(f"/weekly?week={W18}&unit=all")
    assert '<option value="xa-b">xa-b</option>' in r.text and '<option value="all" selected>' in r.text
    r = client.get(f"/weekly?week={W18}&unit={UNIT_B}")
    assert [row[1] for row in Tables(r.text).tables["posts"]] == [B_KEY]
    assert '<option value="xa-b" selected>' in r.text
    assert f'href="/weekly/download?week={W18}&amp;unit=xa-b&amp;format=csv"' in r.text
    assert f"/weekly?week=2025-W17&amp;unit={UNIT_B}" in r.text  # navigation keeps the unit
    d = client.get("/weekly/download", params={"week": W18, "unit": UNIT_B, "format": "csv"})
    assert d.headers["content-disposition"] == 'attachment; filename="bao-cao-tuan-2025-W18-xa-b.csv"'
    assert B_KEY in d.text and "le-30-4" not in d.text
    default = Tables(client.get(f"/weekly?week={W18}&unit=default").text)
    assert {row[1] for row in default.tables["posts"]} == {"le-30-4", "hop-dan"}


def test_the_cli_report_still_counts_every_unit(seeded: Store) -> None:
    seed_unit_b(seeded)
    week = Week.parse(W18, seeded.settings.timezone)
    assert {row[1] for row in build(seeded, week, AFTER).section("posts").rows} == {
        "le-30-4",
        "hop-dan",
        B_KEY,
    }
    only_b = build(seeded, week, AFTER, units={UNIT_B})
    assert [row[1] for row in only_b.section("posts").rows] == [B_KEY]
    assert only_b.section("status").rows == [["Facebook", 1, 1, 0, 0, 0, 0], ["Tất cả", 1, 1, 0, 0, 0, 0]]


def test_the_engagement_log_of_a_post_is_one_click_away(client: TestClient, seeded: Store) -> None:
    fb = delivery_id(seeded, "le-30-4", "facebook/xa")
    due = vn(2025, 4, 29, 8, 0)
    # the +7 d look, taken after the week ended: in the log, not in the week's figures
    snapshot(
        seeded, fb, due + timedelta(days=7, minutes=2), "7d", views=800, reactions=80, comments=8, shares=8
    )
    add_user(seeded, "an", Role.OFFICER)
    sign_in(client, "an")
    r = client.get(f"/weekly?week={W18}")
    page = Tables(r.text)
    assert page.tables["posts"][0][4] == "500"  # as of the end of the week
    posts_table = r.text.split('data-section="posts"')[1].split("</table>")[0]
    assert '<a href="#log-le-30-4"' in posts_table and '<a href="#log-hop-dan"' in posts_table
    assert 'id="log-le-30-4"' in r.text and 'id="log-hop-dan"' in r.text
    log = r.text.split('id="log-le-30-4"')[1].split("</article>")[0]
    assert '<a href="/posts/le-30-4"' in log
    facebook = log.split(f'data-delivery="{fb}"')[1].split("</table>")[0]
    assert "facebook/xa · đăng lúc 29/04/2025 08:02" in facebook  # local time, not 01:02 UTC

    def row(slot: str) -> list[str]:
        cells = facebook.split(f'data-slot="{slot}"')[1].split("</tr>")[0]
        return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>.*?</t[hd]>", cells)]

    assert row("1h") == ["+1 giờ", "29/04/2025 09:02", "100", "10", "2", "1"]
    assert row("24h") == ["+24 giờ", "30/04/2025 08:02", "500", "40", "5", "4"]
    assert row("7d") == ["+7 ngày", "06/05/2025 08:02", "800", "80", "8", "8"]
    assert row("weekly:2025-W19") == ["Hằng tuần (2025-W19)", "05/05/2025 10:00", "900", "90", "9", "9"]
    assert facebook.index('data-slot="7d"') < facebook.index('data-slot="weekly:2025-W19"')
    youtube = log.split("youtube/xa · ")[1].split("</table>")[0]
    assert '<tr data-slot="1h" class="not-taken">' in youtube and "chưa lấy" in youtube
    assert '<tr data-slot="7d" class="not-taken">' in youtube
    assert "zalo/xa" not in log  # missed: nothing published, nothing to look at


def test_english_page(client: TestClient, seeded: Store) -> None:
    add_user(seeded, "an", Role.OFFICER)
    sign_in(client, "an")
    set_language("en")
    r = client.get(f"/weekly?week={W18}")
    assert "Weekly report 2025-W18 (28/04/2025 – 04/05/2025)" in r.text and "Engagement log" in r.text
    assert "+24 h" in r.text and "Download the report" in r.text
    assert "example ?week=2026-W18" in client.get("/weekly?week=nope").text


def test_charts_are_drawn_once_per_data_and_language(
    client: TestClient, seeded: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[str] = []
    real = weekly_page.all_charts

    def counting(data: dict[str, Any]) -> list[tuple[str, str, bytes]]:
        drawn.append(repr(data))
        return real(data)

    monkeypatch.setattr(weekly_page, "all_charts", counting)
    monkeypatch.setattr(weekly_page, "_charts", type(weekly_page._charts)())
    add_user(seeded, "an", Role.OFFICER)
    sign_in(client, "an")
    first = client.get(f"/weekly?week={W18}").text
    again = client.get(f"/weekly?week={W18}").text
    assert len(drawn) == 1 and Tables(first).charts == Tables(again).charts
    client.get("/weekly?week=2025-W17")  # other figures
    set_language("en")  # other titles
    client.get(f"/weekly?week={W18}")
    assert len(drawn) == 3


def test_a_local_link_is_never_shown_a_sandbox_page_opens_from_the_outbox(
    client: TestClient, web_store: Store
) -> None:
    page_file = web_store.settings.outbox_dir / "demo" / "bai.html"
    due = vn(2025, 4, 29, 8, 0)
    for key, url in (("trong-hop-thu", page_file.as_uri()), ("ngoai", "file:///etc/bi-mat/bai.html")):
        acc = account(web_store, f"sandbox/{key}")
        delivery(web_store, post(web_store, key, due), acc, due, remote_id=key, remote_url=url)
    add_user(web_store, "an", Role.OFFICER)
    sign_in(client, "an")
    r = client.get(f"/weekly?week={W18}")
    rows = {row[1]: row for row in Tables(r.text).tables["posts"]}
    assert rows["trong-hop-thu"][-1] == "Mở bài đã đăng" and rows["ngoai"][-1] == "—"
    assert 'href="/outbox/demo/bai.html"' in r.text and "/etc/bi-mat" not in r.text
