"""``plan``: a readable, deterministic schedule file in the foundation's format."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
import yaml

from publisher.core.calendar import Event, occurrences, parse_events
from publisher.core.models import POST_ID_RE
from publisher.core.planning import TEMPLATE_NAMES, parse_hour, plan, planned_posts
from publisher.core.schedule import Context, load_schedule
from publisher.errors import UserError
from publisher.i18n import set_language

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ["facebook/ubnd-hanh-dich", "zalo/ubnd-hanh-dich"]


@pytest.fixture(scope="module")
def events() -> list[Event]:
    return parse_events(
        (ROOT / "schedules/calendar/vietnam.yaml").read_text(encoding="utf-8"), "vietnam.yaml"
    )


@pytest.fixture(scope="module")
def templates() -> dict[str, str]:
    return {
        name: (ROOT / "schedules/templates" / name).read_text(encoding="utf-8") for name in TEMPLATE_NAMES
    }


@pytest.fixture(scope="module")
def plan_2026(events: list[Event], templates: dict[str, str]) -> str:
    return plan(2026, events, TARGETS, templates, lead_days=7, hour="07:00")


def test_plan_is_deterministic(events: list[Event], templates: dict[str, str], plan_2026: str) -> None:
    again = plan(2026, list(events), list(TARGETS), dict(templates), lead_days=7, hour=time(7, 0))
    assert again.encode("utf-8") == plan_2026.encode("utf-8")


def test_plan_follows_the_schedule_format(events: list[Event], plan_2026: str) -> None:
    doc = yaml.safe_load(plan_2026)
    assert set(doc) == {"timezone", "campaign", "defaults", "posts"}
    assert doc["timezone"] == "Asia/Ho_Chi_Minh"
    assert doc["defaults"] == {"targets": TARGETS}
    planned = [e for e in events if e.plan]
    n_occ = len(occurrences(planned, 2026))
    assert len(doc["posts"]) == 2 * n_occ
    ids = [p["id"] for p in doc["posts"]]
    assert len(set(ids)) == len(ids) and all(POST_ID_RE.match(i) for i in ids)
    for post in doc["posts"]:
        assert set(post) == {"id", "at", "title", "text", "banner", "campaign", "draft"}
        assert post["draft"] is False
        assert isinstance(post["at"], str) and post["at"].endswith(" 07:00")
        datetime.strptime(post["at"], "%Y-%m-%d %H:%M")
        assert post["title"] and "\n" not in post["title"] and post["text"].strip()
    ats = [p["at"] for p in doc["posts"]]
    assert ats == sorted(ats)


def test_lead_up_and_day_of_posts(plan_2026: str) -> None:
    posts = {p["id"]: p for p in yaml.safe_load(plan_2026)["posts"]}
    day = posts["giai-phong-mien-nam-2026-04-30"]
    lead = posts["giai-phong-mien-nam-2026-04-30-truoc"]
    assert day["at"] == "2026-04-30 07:00" and lead["at"] == "2026-04-23 07:00"
    assert day["title"] == "Kỷ niệm 51 năm Ngày giải phóng miền Nam, thống nhất đất nước"
    assert "(30/04/1975 – 30/04/2026)" in day["text"]
    assert lead["title"].startswith("Hướng tới kỷ niệm 51 năm")
    assert "Còn 7 ngày" in lead["text"]
    assert day["banner"] == "Kỷ niệm 51 năm Ngày giải phóng miền Nam, thống nhất đất nước"
    tet = posts["tet-nguyen-dan-2026-02-17"]
    assert "1/1 năm Bính Ngọ" in tet["text"]
    assert "ong-cong-ong-tao-2026-02-10" not in posts  # plan: false in the data file


def test_plan_is_readable_block_text(plan_2026: str) -> None:
    assert plan_2026.startswith("# Kế hoạch đăng bài các ngày lễ, kỷ niệm năm 2026")
    assert "  text: |\n" in plan_2026
    assert "\\u" not in plan_2026 and "\\n" not in plan_2026  # real Vietnamese letters, no escapes
    assert "\n\n- id: " in plan_2026  # posts separated by a blank line


def test_plan_queues_with_the_schedule_loader(plan_2026: str, tmp_path: Path) -> None:
    path = tmp_path / "2026.yaml"
    path.write_text(plan_2026, encoding="utf-8")
    loaded = load_schedule(path, Context(now=datetime(2025, 12, 1, tzinfo=UTC), known_targets=set(TARGETS)))
    assert len(loaded.posts) == plan_2026.count("\n- id: ")
    assert all(not p.draft and p.options.get("banner") for p in loaded.posts)


def test_not_before_leaves_out_past_posts(events: list[Event], templates: dict[str, str]) -> None:
    text = plan(2026, events, TARGETS, templates, not_before=datetime(2026, 9, 1, 0, 0))
    ats = [p["at"] for p in yaml.safe_load(text)["posts"]]
    assert ats and min(ats) >= "2026-09-01 00:00"


def test_round_only_and_options(events: list[Event], templates: dict[str, str]) -> None:
    posts = planned_posts(2025, events, templates, lead_days=0, hour=time(19, 30), round_only=True)
    assert posts and all(p.at.time() == time(19, 30) and not p.id.endswith("-truoc") for p in posts)
    assert "thanh-lap-dang-2025-02-03" in {p.id for p in posts}
    assert "tet-nguyen-dan-2025-01-29" not in {p.id for p in posts}
    assert all(p.at.date() >= date(2025, 1, 1) for p in posts)


def test_templates_are_editable(events: list[Event]) -> None:
    custom = {
        "truoc-ngay.j2": "Sắp tới: {{ ten }}\n\nCòn {{ con_ngay }} ngày.",
        "dung-ngay.j2": "{{ tieu_de }}\n\n{{ don_vi }}",
    }
    posts = planned_posts(2025, events[:3], custom, lead_days=3, organisation="UBND xã Hạnh Dịch")
    assert any(p.title.startswith("Sắp tới: ") and p.text == "Còn 3 ngày.\n" for p in posts)
    assert any(p.text == "UBND xã Hạnh Dịch\n" for p in posts)


@pytest.mark.parametrize(
    ("kwargs", "fragment_vi", "fragment_en"),
    [
        ({"targets": ["facebook"]}, "không hợp lệ", "not valid"),
        ({"targets": []}, "Cần ít nhất", "At least one"),
        ({"hour": "25:00"}, "Giờ đăng", "Hour"),
        ({"lead_days": 99}, "Số ngày", "Lead days"),
        ({"templates": {"dung-ngay.j2": "x"}}, "Thiếu mẫu", "missing"),
        ({"templates": {"dung-ngay.j2": "{{ khong_co }}", "truoc-ngay.j2": "x"}}, "bị lỗi", "has an error"),
    ],
)
def test_bad_input_is_a_user_error(
    events: list[Event], templates: dict[str, str], kwargs: dict, fragment_vi: str, fragment_en: str
) -> None:
    args = {"year": 2026, "events": events, "targets": TARGETS, "templates": templates, **kwargs}
    with pytest.raises(UserError) as info:
        plan(**args)
    assert fragment_vi in str(info.value)
    set_language("en")
    assert fragment_en in str(info.value)


def test_parse_hour() -> None:
    assert parse_hour("7:05") == time(7, 5)
    with pytest.raises(UserError):
        parse_hour("7h")
