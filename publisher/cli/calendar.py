"""``publisher calendar`` and ``publisher plan``: the year's commemorations and a drafted schedule.

Calendar data: every ``*.yaml`` in ``schedules/calendar/`` of the repository (found from this
file, so an editable install works), except ``*example*`` files, then each ``--calendar FILE``
(or folder) in order; a later entry with the same id replaces an earlier one. Templates:
``schedules/templates/`` (or ``--templates DIR``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from publisher.cli.common import bi, handle_errors, settings
from publisher.cli.output import console, emit_json
from publisher.core.calendar import Event, Occurrence, merge, occurrences, parse_events, to_ics
from publisher.core.planning import TEMPLATE_NAMES, parse_hour, plan, planned_posts
from publisher.errors import UserError
from publisher.i18n import language, msg, register, t

register(
    {
        "cal.no_data": (
            "Không tìm thấy dữ liệu lịch ({dir}). Dùng --calendar TỆP để chỉ ra tệp lịch.",
            "No calendar data found ({dir}). Use --calendar FILE to name a calendar file.",
        ),
        "cal.cannot_read": ("Không đọc được {path}: {error}", "Cannot read {path}: {error}"),
        "cal.heading": (
            "Các ngày lễ, kỷ niệm năm {year}: {n} sự kiện",
            "Commemorations and holidays of {year}: {n} events",
        ),
        "cal.heading_round": (
            "Các ngày kỷ niệm năm chẵn năm {year}: {n} sự kiện",
            "Round anniversaries of {year}: {n} events",
        ),
        "cal.lunar": ("âm lịch {date} năm {name}", "lunar {date}, {name} year"),
        "cal.round": ("năm chẵn", "round"),
        "cal.major": ("năm tròn", "major"),
        "cal.holiday": ("nghỉ lễ", "public holiday"),
        "cal.ics_written": (
            "Đã ghi {n} sự kiện vào {path} (iCalendar).",
            "Wrote {n} events to {path} (iCalendar).",
        ),
        "cal.exists": (
            "Tệp {path} đã có. Không ghi đè; thêm --force nếu muốn thay.",
            "{path} already exists. Not overwritten; add --force to replace it.",
        ),
        "cal.bad_year": ("Năm {year} nằm ngoài khoảng 1901–2099.", "Year {year} is outside 1901–2099."),
        "plan.written": (
            "Đã ghi {n} bài vào {path}. Xem lại, sửa, rồi: publisher queue {path}",
            "Wrote {n} posts to {path}. Review, edit, then: publisher queue {path}",
        ),
        "plan.default_targets": (
            "Chưa chọn tài khoản (--targets): dùng {targets}; sửa mục defaults.targets trong tệp.",
            "No --targets given: using {targets}; edit defaults.targets in the file.",
        ),
        "plan.skipped_past": (
            "Bỏ {n} bài có giờ đăng đã qua.",
            "Left out {n} posts whose time has passed.",
        ),
    }
)

REPO_ROOT = Path(__file__).resolve().parents[2]
CALENDAR_DIR = REPO_ROOT / "schedules" / "calendar"
TEMPLATES_DIR = REPO_ROOT / "schedules" / "templates"
DEFAULT_TARGETS = ("sandbox/demo",)
_WEEKDAYS = {
    "vi": ("T2", "T3", "T4", "T5", "T6", "T7", "CN"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(
            msg("cal.cannot_read", path=path, error=getattr(exc, "strerror", None) or exc)
        ) from exc


def _yaml_files(path: Path, skip_examples: bool) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        if skip_examples:
            files = [p for p in files if "example" not in p.name]
        # the national file first, so that local files override it
        return sorted(files, key=lambda p: (p.name != "vietnam.yaml", p.name))
    return [path]


def load_events(extra: tuple[Path, ...] = (), data_dir: Path = CALENDAR_DIR) -> list[Event]:
    groups: list[list[Event]] = []
    files = _yaml_files(data_dir, skip_examples=True) if data_dir.is_dir() else []
    for path in extra:
        files += _yaml_files(path, skip_examples=False)
    if not files:
        raise UserError(msg("cal.no_data", dir=data_dir))
    for path in files:
        groups.append(parse_events(_read(path), source=path.name))
    return merge(*groups)


def _flags(occ: Occurrence) -> str:
    flags = []
    if occ.is_major:
        flags.append(t("cal.major"))
    elif occ.is_round:
        flags.append(t("cal.round"))
    if occ.event.holiday:
        flags.append(t("cal.holiday"))
    return ", ".join(flags)


def _line(occ: Occurrence, lang: str) -> str:
    weekday = _WEEKDAYS[lang][occ.date.weekday()]
    lunar = t("cal.lunar", date=occ.lunar.short(), name=occ.lunar.year_name)
    parts = [f"{occ.date:%d/%m/%Y} ({weekday})", lunar, occ.title]
    if occ.is_anniversary:
        parts.append(f"{occ.years_text}, {occ.ordinal_text}")
    flags = _flags(occ)
    if flags:
        parts.append(flags)
    return " · ".join(parts)


def _check_year(year: int) -> None:
    if not 1901 <= year <= 2099:
        raise UserError(msg("cal.bad_year", year=year))


def _refuse_overwrite(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise UserError(msg("cal.exists", path=path))


@click.command(
    "calendar",
    help=bi(
        "Các ngày lễ, kỷ niệm trong năm (dương lịch và âm lịch, số năm, năm chẵn); xuất iCalendar cho điện thoại.",
        "The year's commemorations and holidays (solar and lunar dates, ordinals, round years); iCalendar export.",
    ),
)
@click.argument("year", type=int, required=False)
@click.option(
    "--round-only", is_flag=True, help=bi("Chỉ các ngày kỷ niệm năm chẵn.", "Round anniversaries only.")
)
@click.option("--json", "as_json", is_flag=True, help=bi("In ra JSON.", "Print JSON."))
@click.option(
    "--ics",
    "ics_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help=bi("Ghi tệp iCalendar (.ics).", "Write an iCalendar (.ics) file."),
)
@click.option("--force", is_flag=True, help=bi("Ghi đè tệp .ics đã có.", "Overwrite an existing .ics file."))
@click.option(
    "--calendar",
    "extra",
    multiple=True,
    type=click.Path(path_type=Path, exists=True),
    help=bi("Thêm tệp (hoặc thư mục) lịch địa phương.", "Add a local calendar file (or folder)."),
)
@handle_errors
def calendar_command(
    year: int | None,
    round_only: bool,
    as_json: bool,
    ics_file: Path | None,
    force: bool,
    extra: tuple[Path, ...],
) -> None:
    cfg = settings()
    if year is None:
        year = datetime.now(ZoneInfo(cfg.timezone)).year
    _check_year(year)
    items = occurrences(load_events(extra), year)
    if round_only:
        items = [o for o in items if o.is_round and o.event.round_years]
    if ics_file is not None:
        _refuse_overwrite(ics_file, force)
        ics_file.write_text(
            to_ics(items, datetime.now(UTC), name=f"Lịch kỷ niệm {year}"), encoding="utf-8", newline=""
        )
    if as_json:
        emit_json([o.as_dict() for o in items])
        return
    lang = language()
    heading = "cal.heading_round" if round_only else "cal.heading"
    console.print(t(heading, year=year, n=len(items)), style="bold", markup=False)
    for occ in items:
        click.echo(_line(occ, lang))
    if ics_file is not None:
        console.print(t("cal.ics_written", n=len(items), path=ics_file), markup=False)


@click.command(
    "plan",
    help=bi(
        "Soạn sẵn tệp lịch đăng bài cho cả năm: mỗi ngày lễ một bài trước và một bài đúng ngày (chờ duyệt).",
        "Draft a year's schedule file: a lead-up and a day-of post for each commemoration (awaiting approval).",
    ),
)
@click.argument("year", type=int)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help=bi("Tệp lịch sẽ ghi.", "Schedule file to write."),
)
@click.option(
    "--targets", default="", help=bi("Tài khoản đăng, cách nhau bởi dấu phẩy.", "Targets, comma-separated.")
)
@click.option(
    "--lead-days",
    default=7,
    show_default=True,
    type=int,
    help=bi("Đăng bài trước bao nhiêu ngày.", "Days before for the lead-up post."),
)
@click.option(
    "--hour", default="07:00", show_default=True, help=bi("Giờ đăng (HH:MM).", "Publishing hour (HH:MM).")
)
@click.option(
    "--calendar",
    "extra",
    multiple=True,
    type=click.Path(path_type=Path, exists=True),
    help=bi("Thêm tệp lịch địa phương.", "Add a local calendar file."),
)
@click.option(
    "--templates",
    "templates_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help=bi("Thư mục mẫu bài đăng.", "Templates folder."),
)
@click.option(
    "--organisation",
    "--don-vi",
    "organisation",
    default="UBND xã",
    show_default=True,
    help=bi("Tên đơn vị trong bài.", "Organisation named in the posts."),
)
@click.option("--campaign", default=None, help=bi("Tên chiến dịch.", "Campaign name."))
@click.option(
    "--round-only", is_flag=True, help=bi("Chỉ các ngày kỷ niệm năm chẵn.", "Round anniversaries only.")
)
@click.option("--force", is_flag=True, help=bi("Ghi đè tệp đã có.", "Overwrite an existing file."))
@handle_errors
def plan_command(
    year: int,
    out: Path,
    targets: str,
    lead_days: int,
    hour: str,
    extra: tuple[Path, ...],
    templates_dir: Path | None,
    organisation: str,
    campaign: str | None,
    round_only: bool,
    force: bool,
) -> None:
    cfg = settings()
    _check_year(year)
    _refuse_overwrite(out, force)
    at = parse_hour(hour)
    target_list = [x.strip() for x in targets.split(",") if x.strip()]
    if not target_list:
        target_list = list(DEFAULT_TARGETS)
        console.print(t("plan.default_targets", targets=", ".join(target_list)), markup=False)
    folder = templates_dir or TEMPLATES_DIR
    templates = {name: _read(folder / name) for name in TEMPLATE_NAMES if (folder / name).exists()}
    events = load_events(extra)
    now = datetime.now(ZoneInfo(cfg.timezone)).replace(tzinfo=None, second=0, microsecond=0)
    total = len(planned_posts(year, events, templates, lead_days, at, organisation, round_only))
    text = plan(
        year,
        events,
        target_list,
        templates,
        lead_days=lead_days,
        hour=at,
        organisation=organisation,
        campaign=campaign,
        timezone=cfg.timezone,
        round_only=round_only,
        not_before=now,
    )
    written = len(planned_posts(year, events, templates, lead_days, at, organisation, round_only, now))
    if total > written:
        console.print(t("plan.skipped_past", n=total - written), markup=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    console.print(t("plan.written", n=written, path=out), markup=False)


COMMANDS: list[click.Command] = [calendar_command, plan_command]
