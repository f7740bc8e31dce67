"""A year's schedule file drafted from the calendar (pure).

``plan(year, events, targets, ...)`` returns the text of a schedule file in the foundation's
format: for each occurrence, a lead-up post ``lead_days`` before and a day-of post, both at
``hour`` local time. Titles and texts come from two Jinja2 templates (Vietnamese, editable in
``schedules/templates/``): ``truoc-ngay.j2`` (lead-up) and ``dung-ngay.j2`` (day-of); the first
line a template renders is the title, the rest the text. Each post asks the media pipeline for
a banner with the occurrence's short title.

Posts are written ``draft: false``: they queue as *awaiting approval* (approval is required by
default), so nothing is published before an approver has read it.

Templates put one blank line after the title and between paragraphs; runs of blank lines are
collapsed to one. The output is deterministic: the same inputs give byte-identical text (no clock, no random,
sorted by time then id).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import jinja2
import yaml

from publisher.core.calendar import Event, Occurrence, occurrences
from publisher.core.models import Target, nfc
from publisher.errors import UserError
from publisher.i18n import msg, register

register(
    {
        "plan.bad_target": (
            "Tài khoản đăng '{target}' không hợp lệ (dạng nền-tảng/tên, ví dụ facebook/ubnd-xa).",
            "Target '{target}' is not valid (platform/name, e.g. facebook/ubnd-xa).",
        ),
        "plan.no_targets": (
            "Cần ít nhất một tài khoản đăng (--targets).",
            "At least one target is needed (--targets).",
        ),
        "plan.bad_hour": (
            "Giờ đăng '{hour}' không hợp lệ (dạng HH:MM).",
            "Hour '{hour}' is not valid (HH:MM).",
        ),
        "plan.bad_lead": (
            "Số ngày đăng trước phải từ 0 đến 60, không phải {days}.",
            "Lead days must be between 0 and 60, not {days}.",
        ),
        "plan.missing_template": ("Thiếu mẫu bài đăng {name}.", "Template {name} is missing."),
        "plan.template_error": ("Mẫu {name} bị lỗi: {error}", "Template {name} has an error: {error}"),
    }
)

LEAD_TEMPLATE = "truoc-ngay.j2"
DAY_TEMPLATE = "dung-ngay.j2"
TEMPLATE_NAMES = (LEAD_TEMPLATE, DAY_TEMPLATE)
_HOUR_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_FESTIVE = {"le-tet", "van-hoa", "dia-phuong"}


def parse_hour(text: str) -> time:
    match = _HOUR_RE.match(text.strip())
    if not match:
        raise UserError(msg("plan.bad_hour", hour=text))
    return time(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True)
class PlannedPost:
    id: str
    at: datetime
    title: str
    text: str
    banner: str
    campaign: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.strftime("%Y-%m-%d %H:%M"),
            "title": self.title,
            "text": self.text,
            "banner": self.banner,
            "campaign": self.campaign,
            "draft": False,
        }


def _context(occ: Occurrence, days_before: int, organisation: str) -> dict[str, Any]:
    return {
        "ten": occ.event.name,
        "tieu_de": occ.title,
        "tieu_de_ngan": occ.short_title,
        "so_nam": occ.years_text or "",
        "lan_thu": occ.ordinal_text or "",
        "moc_thoi_gian": occ.span or "",
        "ngay": occ.date.strftime("%d/%m/%Y"),
        "ngay_am": f"{occ.lunar.short()} năm {occ.lunar.year_name}",
        "am_lich": occ.event.is_lunar,
        "con_ngay": days_before,
        "nam_chan": occ.is_round,
        "nam_tron": occ.is_major,
        "ngay_nghi": occ.event.holiday,
        "le_hoi": occ.event.category in _FESTIVE and not occ.is_anniversary,
        "loai": occ.event.category,
        "don_vi": organisation,
        "occ": occ,
    }


def _split(rendered: str) -> tuple[str, str]:
    lines = [line.rstrip() for line in nfc(rendered).strip().splitlines()]
    title = lines[0].strip() if lines else ""
    body: list[str] = []
    for line in lines[1:]:
        if line or (body and body[-1]):  # paragraphs separated by one blank line
            body.append(line)
    return title, "\n".join(body).strip() + "\n"


def _environment(templates: Mapping[str, str]) -> jinja2.Environment:
    for name in TEMPLATE_NAMES:
        if name not in templates:
            raise UserError(msg("plan.missing_template", name=name))
    return jinja2.Environment(
        loader=jinja2.DictLoader(dict(templates)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _render(env: jinja2.Environment, name: str, context: dict[str, Any]) -> tuple[str, str]:
    try:
        return _split(env.get_template(name).render(**context))
    except jinja2.TemplateError as exc:
        raise UserError(msg("plan.template_error", name=name, error=str(exc))) from exc


def planned_posts(
    year: int,
    events: Sequence[Event],
    templates: Mapping[str, str],
    lead_days: int = 7,
    hour: time = time(7, 0),
    organisation: str = "UBND xã",
    round_only: bool = False,
    not_before: datetime | None = None,
) -> list[PlannedPost]:
    if not 0 <= lead_days <= 60:
        raise UserError(msg("plan.bad_lead", days=lead_days))
    env = _environment(templates)
    posts: list[PlannedPost] = []
    for occ in occurrences([e for e in events if e.plan], year):
        if round_only and not (occ.is_round and occ.event.round_years):
            continue
        campaign = occ.short_title
        day_at = datetime.combine(occ.date, hour)
        if lead_days:
            title, text = _render(env, LEAD_TEMPLATE, _context(occ, lead_days, organisation))
            posts.append(
                PlannedPost(
                    f"{occ.key}-truoc",
                    day_at - timedelta(days=lead_days),
                    title,
                    text,
                    occ.short_title,
                    campaign,
                )
            )
        title, text = _render(env, DAY_TEMPLATE, _context(occ, 0, organisation))
        posts.append(PlannedPost(occ.key, day_at, title, text, occ.short_title, campaign))
    if not_before is not None:
        posts = [p for p in posts if p.at >= not_before]
    posts.sort(key=lambda p: (p.at, p.id))
    return posts


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line text, so the officer reads and edits plain paragraphs."""


def _str_representer(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_representer)


def plan(
    year: int,
    events: Sequence[Event],
    targets: Sequence[str],
    templates: Mapping[str, str],
    lead_days: int = 7,
    hour: time | str = time(7, 0),
    organisation: str = "UBND xã",
    campaign: str | None = None,
    timezone: str = "Asia/Ho_Chi_Minh",
    round_only: bool = False,
    not_before: datetime | None = None,
) -> str:
    """The text of a schedule file for ``year`` (see the module docstring).

    ``not_before`` (naive local time) leaves out posts that would already be past: a schedule
    loader refuses them.
    """
    if isinstance(hour, str):
        hour = parse_hour(hour)
    if not targets:
        raise UserError(msg("plan.no_targets"))
    parsed: list[str] = []
    for target in targets:
        try:
            parsed.append(str(Target.parse(target)))
        except ValueError:
            raise UserError(msg("plan.bad_target", target=target)) from None
    posts = planned_posts(year, events, templates, lead_days, hour, organisation, round_only, not_before)
    document = {
        "timezone": timezone,
        "campaign": campaign or f"Tuyên truyền các ngày lễ, kỷ niệm năm {year}",
        "defaults": {"targets": parsed},
        "posts": [p.as_dict() for p in posts],
    }
    header = (
        f"# Kế hoạch đăng bài các ngày lễ, kỷ niệm năm {year} — tạo bởi 'publisher plan {year}'.\n"
        f"# {len(posts)} bài: mỗi sự kiện một bài trước {lead_days} ngày và một bài đúng ngày, "
        f"lúc {hour:%H:%M}.\n"
        "# Mỗi bài cần được người duyệt phê duyệt trước khi đăng. Sửa tiêu đề, nội dung, ảnh tùy ý;\n"
        "# xóa những bài không cần.\n"
        f"# Schedule drafted by 'publisher plan {year}': every post waits for approval.\n"
    )
    body = yaml.dump(
        document,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        width=1000,
        default_flow_style=None,
        indent=2,
    )
    return header + _space_posts(body)


def _space_posts(body: str) -> str:
    """A blank line between posts, for the eye."""
    out: list[str] = []
    for line in body.splitlines():
        if line.startswith("- id: ") and out and not out[-1].startswith("posts:"):
            out.append("")
        out.append(line)
    return "\n".join(out) + "\n"
