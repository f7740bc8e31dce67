from __future__ import annotations

import json
import time
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from publisher.core.limits import Problem
from publisher.core.models import Platform, PostSpec, Target
from publisher.core.schedule import FIELD_MAX_CHARS, MAX_GRACE_HOURS, Context, load_schedule
from publisher.errors import ValidationFailed
from publisher.i18n import set_language

NOW = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
LIMITS = {
    "youtube": {
        "platform": "youtube",
        "title_max": 100,
        "text_max": 5000,
        "text_counts_bytes": True,
        "max_images": 0,
        "supports_video": True,
    }
}


def ctx(**kw: object) -> Context:
    values: dict[str, object] = dict(
        now=NOW,
        known_targets={"facebook/ubnd-hanh-dich", "zalo/ubnd-hanh-dich", "youtube/hanh-dich-tv"},
        limits=LIMITS,
    )
    values.update(kw)
    return Context(**values)  # type: ignore[arg-type]


def write(tmp_path: Path, text: str, name: str = "lich.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


GOOD = """\
timezone: Asia/Ho_Chi_Minh
campaign: Thông tin đối ngoại 2026
defaults:
  targets: [facebook/ubnd-hanh-dich, zalo/ubnd-hanh-dich]
posts:
  - id: giai-phong-51-nam
    at: 2026-04-30 07:00
    title: Kỷ niệm 51 năm Ngày giải phóng miền Nam
    text: |
      Nội dung bài viết.
    images: [media/a.jpg]
  - id: quoc-khanh
    at: 2026-09-02 07:00
    title: Quốc khánh 2/9
    text: Chào mừng Quốc khánh.
    targets: [youtube/hanh-dich-tv]
    video: media/v.mp4
    grace: 90m
"""


def media(tmp_path: Path) -> None:
    (tmp_path / "media").mkdir(exist_ok=True)
    (tmp_path / "media" / "a.jpg").write_bytes(b"jpg")
    (tmp_path / "media" / "v.mp4").write_bytes(b"mp4")


def test_valid_file_gives_utc_times_targets_and_confined_media(tmp_path: Path) -> None:
    media(tmp_path)
    loaded = load_schedule(write(tmp_path, GOOD), ctx())
    first, second = loaded.posts
    assert first.key == "giai-phong-51-nam"
    assert first.due_at == datetime(2026, 4, 30, 0, 0, tzinfo=UTC)  # 07:00 in UTC+7
    assert first.timezone == "Asia/Ho_Chi_Minh"
    assert first.targets == (
        Target(Platform.FACEBOOK, "ubnd-hanh-dich"),
        Target(Platform.ZALO, "ubnd-hanh-dich"),
    )
    assert first.images == ((tmp_path / "media" / "a.jpg").resolve(),)
    assert first.campaign == "Thông tin đối ngoại 2026"
    assert first.source_line == 6
    assert second.targets == (Target(Platform.YOUTUBE, "hanh-dich-tv"),)
    assert second.grace_hours == 1.5


def problems_of(path: Path, c: Context | None = None) -> list[str]:
    with pytest.raises(ValidationFailed) as info:
        load_schedule(path, c or ctx())
    return [str(p) for p in info.value.problems]


def test_each_error_names_file_line_post_and_field(tmp_path: Path) -> None:
    media(tmp_path)
    text = GOOD.replace("    images: [media/a.jpg]\n", "    images: [media/khong-co.jpg]\n    colour: red\n")
    out = problems_of(write(tmp_path, text))
    assert any(
        p.startswith(f"{tmp_path / 'lich.yaml'}:11: [giai-phong-51-nam] images") and "khong-co.jpg" in p
        for p in out
    ), out
    assert any(":12: [giai-phong-51-nam] colour" in p and "không được hỗ trợ" in p for p in out), out


def test_errors_in_english(tmp_path: Path) -> None:
    set_language("en")
    out = problems_of(write(tmp_path, GOOD.replace("2026-04-30 07:00", "30/4/2026")))
    assert any(":7: [giai-phong-51-nam] at" in p and "Invalid time" in p for p in out), out


@pytest.mark.parametrize("evil", ["../../etc/passwd", "/etc/passwd", "media/../../../etc/hosts"])
def test_media_outside_the_schedule_folder_is_refused(tmp_path: Path, evil: str) -> None:
    media(tmp_path)
    sub = tmp_path / "plans"
    sub.mkdir()
    (sub / "media").mkdir()
    (sub / "media" / "a.jpg").write_bytes(b"x")
    (sub / "media" / "v.mp4").write_bytes(b"x")
    out = problems_of(write(sub, GOOD.replace("media/a.jpg", evil)))
    assert any("nằm ngoài thư mục" in p and "[giai-phong-51-nam] images" in p for p in out), out


def test_symlink_escaping_the_folder_is_refused(tmp_path: Path) -> None:
    media(tmp_path)
    (tmp_path / "media" / "link.jpg").symlink_to("/etc/hostname")
    out = problems_of(write(tmp_path, GOOD.replace("media/a.jpg", "media/link.jpg")))
    assert any("nằm ngoài thư mục" in p for p in out), out


def test_media_root_setting_allows_a_shared_folder(tmp_path: Path) -> None:
    shared = tmp_path / "kho-anh"
    shared.mkdir()
    (shared / "b.jpg").write_bytes(b"x")
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "media").mkdir()
    (plans / "media" / "v.mp4").write_bytes(b"x")
    path = write(plans, GOOD.replace("media/a.jpg", str(shared / "b.jpg")))
    assert load_schedule(path, ctx(media_roots=(shared,))).posts[0].images == ((shared / "b.jpg").resolve(),)


def test_unknown_account_duplicate_ids_and_past_times(tmp_path: Path) -> None:
    media(tmp_path)
    text = GOOD.replace("youtube/hanh-dich-tv", "youtube/khong-ton-tai").replace(
        "id: quoc-khanh", "id: giai-phong-51-nam"
    )
    text = text.replace("2026-09-02 07:00", "2026-02-28 07:00")
    out = problems_of(write(tmp_path, text))
    assert any("youtube/khong-ton-tai" in p and "publisher accounts add" in p for p in out), out
    assert any("bị trùng" in p and "dòng 6" in p for p in out), out
    assert any("28/02/2026 07:00 đã qua" in p and "1h30" not in p for p in out), out


def test_past_within_grace_is_a_note_not_an_error(tmp_path: Path) -> None:
    media(tmp_path)
    text = GOOD.replace(
        "2026-04-30 07:00", "2026-03-01 05:00"
    )  # 22:00 UTC the day before: 2 h ago, grace 6 h
    loaded = load_schedule(write(tmp_path, text), ctx())
    assert any("đăng muộn" in str(n) for n in loaded.notes)


def test_text_over_a_platform_limit_counts_utf8_bytes_for_youtube(tmp_path: Path) -> None:
    media(tmp_path)
    long_vi = "Đảng " * 1100  # 5,500 characters but 7,700 UTF-8 bytes > 5,000
    text = GOOD.replace("text: Chào mừng Quốc khánh.", f"text: {long_vi}")
    out = problems_of(write(tmp_path, text))
    assert any("[quoc-khanh] text (youtube/hanh-dich-tv)" in p and "byte" in p for p in out), out


def test_non_nfc_text_is_normalised_with_a_note(tmp_path: Path) -> None:
    media(tmp_path)
    decomposed = unicodedata.normalize("NFD", "Quốc khánh 2/9")
    loaded = load_schedule(
        write(tmp_path, GOOD.replace("title: Quốc khánh 2/9", f"title: {decomposed}")), ctx()
    )
    assert loaded.posts[1].title == unicodedata.normalize("NFC", "Quốc khánh 2/9")
    assert any("NFC" in str(n) for n in loaded.notes)


def test_csv_import_with_line_numbers(tmp_path: Path) -> None:
    media(tmp_path)
    csv_text = (
        "id,at,title,text,targets,images\n"
        'bai-1,2026-05-19 07:00,Sinh nhật Bác,"Dòng 1\nDòng 2",facebook/ubnd-hanh-dich;zalo/ubnd-hanh-dich,media/a.jpg\n'
        "bai-2,2026-13-01 07:00,Sai ngày,Nội dung,facebook/ubnd-hanh-dich,\n"
    )
    out = problems_of(write(tmp_path, csv_text, "ke-hoach.csv"))
    assert any("ke-hoach.csv:4: [bai-2] at" in p for p in out), out
    ok = load_schedule(
        write(
            tmp_path, csv_text.splitlines()[0] + "\n" + "\n".join(csv_text.splitlines()[1:3]) + "\n", "ok.csv"
        ),
        ctx(),
    )
    assert ok.posts[0].text == "Dòng 1\nDòng 2"
    assert len(ok.posts[0].targets) == 2


def test_not_utf8_and_syntax_errors_are_clear(tmp_path: Path) -> None:
    p = tmp_path / "cp1258.yaml"
    p.write_bytes("posts:\n  - title: Qu\u1ed1c\n".encode("utf-16"))
    assert any("UTF-8" in x for x in problems_of(p))
    out = problems_of(write(tmp_path, "posts: [\n  - id: a\n"))
    assert any("cú pháp YAML" in x for x in out), out


# -- hostile and broken files (issue 11, points 7, 8, 10, 13) --------------------------------------


def found(path: Path, c: Context | None = None) -> list[str]:
    """Each problem as ``:line: [post] field: message``, without the file name (it holds the test name)."""
    with pytest.raises(ValidationFailed) as info:
        load_schedule(path, c or ctx())
    return [str(p).removeprefix(str(path)) for p in info.value.problems]


def one_post(**fields: str) -> str:
    """A one-post schedule; ``fields`` override or add lines of the post (written as given)."""
    values = {
        "id": "bai",
        "at": "2026-04-30 07:00",
        "title": "Tiêu đề",
        "text": "Nội dung",
        "targets": "[facebook/ubnd-hanh-dich]",
    }
    values.update(fields)
    return "posts:\n  - " + "\n    ".join(f"{k}: {v}" for k, v in values.items()) + "\n"


@pytest.mark.parametrize(
    "at", ["0001-01-01 00:00", "9999-12-31 23:59", "2101-01-01 07:00", "1999-12-31 23:00"]
)
def test_years_outside_2000_2100_are_an_error_not_a_traceback(tmp_path: Path, at: str) -> None:
    out = found(write(tmp_path, one_post(at=at)))
    assert any(":3: [bai] at" in p and "2000" in p and "2100" in p for p in out), out


@pytest.mark.parametrize("grace", ["99999999999d", "9" * 400 + "h", "31d", "721h"])
def test_grace_is_capped_at_30_days(tmp_path: Path, grace: str) -> None:
    out = found(write(tmp_path, one_post(grace=grace)))
    assert any(":7: [bai] grace" in p and "30d" in p for p in out), out
    assert MAX_GRACE_HOURS == 30 * 24


def test_grace_of_exactly_30_days_is_accepted(tmp_path: Path) -> None:
    assert load_schedule(write(tmp_path, one_post(grace="30d")), ctx()).posts[0].grace_hours == 720


def test_lengths_are_those_of_the_database_columns(tmp_path: Path) -> None:
    from publisher.store import schema

    columns = schema.posts.c
    assert {name: columns[name].type.length for name in FIELD_MAX_CHARS} == FIELD_MAX_CHARS  # type: ignore[attr-defined]
    assert set(FIELD_MAX_CHARS) >= {"campaign", "author", "timezone"}
    ok = "Đ" * 200
    text = f"campaign: {ok}\n" + one_post(author=ok)
    loaded = load_schedule(write(tmp_path, text), ctx())
    assert loaded.posts[0].campaign == ok and loaded.posts[0].author == ok
    long = "Đ" * 201
    out = found(write(tmp_path, f"campaign: {long}\n" + one_post(author=long, campaign=long)))
    assert any(":1: campaign" in p and "200" in p for p in out), out
    assert any(":8: [bai] author" in p and "200" in p for p in out), out
    assert any(":9: [bai] campaign" in p and "200" in p for p in out), out
    out = found(write(tmp_path, f"timezone: {'A' * 65}\n" + one_post()))
    assert any(":1: timezone" in p and "64" in p for p in out), out


@pytest.mark.parametrize("value", [r'"a\0b"', r'"\ud800"', r'"chữ\x07"', r'"\x1b[31m"'])
def test_control_characters_and_lone_surrogates_are_refused(tmp_path: Path, value: str) -> None:
    for fld in ("title", "text", "link", "author"):
        out = found(write(tmp_path, one_post(**{fld: value})))
        assert any(f"[bai] {fld}" in p and "U+" in p for p in out), out
    out = found(write(tmp_path, one_post(images=f"[{value}]")))
    assert any("[bai] images" in p and "U+" in p for p in out), out
    out = found(write(tmp_path, one_post(options=f"{{facebook: {{x: {value}}}}}")))
    assert any("[bai] options" in p and "U+" in p for p in out), out


BILLION_LAUGHS = "a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n" + "".join(
    f"{chr(99 + i)}: &{chr(99 + i)} [{', '.join(['*' + chr(98 + i)] * 9)}]\n" for i in range(8)
)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (BILLION_LAUGHS, 1),
        ("a: &a [*a]\n", 1),
        ("defaults: &d {targets: [facebook/ubnd-hanh-dich]}\nposts:\n  - {id: x, at: 2026-04-30 07:00}\n", 1),
        (one_post() + "  - <<: *nothing\n", 7),
        ("posts:\n  - id: x\n    title: &t Tiêu đề\n    text: *t\n", 3),
    ],
)
def test_yaml_anchors_and_aliases_are_refused_quickly(tmp_path: Path, text: str, line: int) -> None:
    started = time.monotonic()
    out = found(write(tmp_path, text))
    assert time.monotonic() - started < 2
    assert any(f":{line}:" in p and ("&" in p or "*" in p) for p in out), out


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    out = found(write(tmp_path, "posts: " + "[" * 5000 + "]" * 5000 + "\n"))
    assert any(":1:" in p and "lồng" in p for p in out), out


def test_file_size_is_capped(tmp_path: Path) -> None:
    path = write(tmp_path, one_post(text="x" * 2000))
    out = found(path, ctx(max_bytes=1000))
    assert any("PUBLISHER_SCHEDULE_MAX_BYTES" in p and "1000" in p for p in out), out
    assert load_schedule(path, ctx(max_bytes=4000)).posts


@pytest.mark.parametrize(
    ("text", "line", "where"),
    [
        ("timezone: Asia/Ho_Chi_Minh\ntimezone: Europe/Paris\n" + one_post(), 2, "timezone"),
        (one_post() + "    title: Tiêu đề khác\n", 7, "[bai] title"),
        ("defaults:\n  grace: 1h\n  grace: 2h\n" + one_post(), 3, "defaults.grace"),
        (
            one_post(options="{youtube: {privacy: public, privacy: private}}"),
            7,
            "[bai] options.youtube.privacy",
        ),
        (one_post() + "posts: []\n", 7, "posts"),
    ],
)
def test_duplicate_yaml_keys_are_an_error(tmp_path: Path, text: str, line: int, where: str) -> None:
    out = found(write(tmp_path, text))
    assert any(f":{line}: {where}" in p and "trùng" in p for p in out), out


CSV_HEAD = "id,at,title,text,targets\n"
CSV_ROW = "bai-1,2026-05-19 07:00,Sinh nhật Bác,Nội dung,facebook/ubnd-hanh-dich\n"


def test_duplicate_csv_columns_and_extra_cells_are_errors(tmp_path: Path) -> None:
    out = found(write(tmp_path, "id,at,title,text,targets,text\n" + CSV_ROW.strip() + ",Khác\n", "k.csv"))
    assert any(":1: text" in p and "trùng" in p for p in out), out
    out = found(
        write(
            tmp_path,
            CSV_HEAD + CSV_ROW + "bai-2,2026-05-20 07:00,Tin,Một, hai,facebook/ubnd-hanh-dich\n",
            "k.csv",
        )
    )
    assert any(p.startswith(":3: [bai-2]") and "6" in p and "5" in p for p in out), out
    out = found(write(tmp_path, "id,at,title,text,targets,\n" + CSV_ROW.strip() + ",lạc\n", "k.csv"))
    assert any(":2: [bai-1]" in p for p in out), out
    # empty trailing cells (Excel pads rows) are fine
    loaded = load_schedule(
        write(tmp_path, "id,at,title,text,targets,\n" + CSV_ROW.strip() + ",\n", "k.csv"), ctx()
    )
    assert [p.key for p in loaded.posts] == ["bai-1"]


def test_nul_in_csv_names_the_cell_and_a_csv_error_says_csv(tmp_path: Path) -> None:
    out = found(write(tmp_path, CSV_HEAD + CSV_ROW.replace("Nội dung", "Nội\0dung"), "k.csv"))
    assert out == [
        ":2: [bai-1] text: Có ký tự điều khiển không in được (U+0000) ở vị trí 3: hãy xóa nó "
        "(thường do dán từ phần mềm khác)."
    ], out
    out = found(write(tmp_path, CSV_HEAD + CSV_ROW.replace("Nội dung", "x" * 200_000), "k.csv"))
    assert any(p.startswith(":2:") and "CSV" in p and "YAML" not in p for p in out), out


def test_empty_timezone_is_an_error_not_the_default(tmp_path: Path) -> None:
    for tz in ('""', "", "'  '"):
        out = found(write(tmp_path, f"timezone: {tz}\n" + one_post()))
        assert any(":1: timezone" in p for p in out), out


def test_a_local_time_in_a_dst_gap_warns_with_the_shifted_time(tmp_path: Path) -> None:
    text = "timezone: America/New_York\n" + one_post(at="2026-03-08 02:30")
    loaded = load_schedule(write(tmp_path, text), ctx())
    assert loaded.posts[0].due_at == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    notes = [str(n) for n in loaded.notes]
    assert any(":4: [bai] at" in n and "02:30" in n and "03:30" in n for n in notes), notes
    set_language("en")
    assert any("does not exist" in str(n) and "03:30" in str(n) for n in loaded.notes)
    set_language("vi")
    twice = load_schedule(
        write(tmp_path, "timezone: America/New_York\n" + one_post(at="2026-11-01 01:30")), ctx()
    )
    assert any(":4: [bai] at" in str(n) and "01:30" in str(n) for n in twice.notes)
    plain = load_schedule(write(tmp_path, one_post()), ctx())  # Asia/Ho_Chi_Minh: no DST, no note
    assert not [n for n in plain.notes if n.field == "at"]


def cp1258(text: str) -> bytes:
    """Text as Excel saves it in Windows-1258: a letter with its vowel mark, then the tone as a combining mark."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = b""
    for c in text:
        d = unicodedata.normalize("NFD", c)
        letter = unicodedata.normalize("NFC", "".join(m for m in d if m not in tones))
        out += letter.encode("cp1258") + "".join(m for m in d if m in tones).encode("cp1258")
    return out


def test_windows_1258_csv_names_the_line_and_says_save_as_csv_utf8(tmp_path: Path) -> None:
    p = tmp_path / "ke-hoach.csv"
    row = "bai-2,2026-05-20 07:00,Quốc khánh,Chào mừng,facebook/ubnd-hanh-dich\n"
    p.write_bytes(
        (CSV_HEAD + CSV_ROW.replace("Sinh nhật Bác", "Sinh nhat Bac").replace("Nội dung", "Noi dung")).encode(
            "ascii"
        )
        + cp1258(row)
    )
    out = found(p)
    assert any(":3:" in x and "CSV UTF-8" in x for x in out), out
    y = tmp_path / "lich.yaml"
    y.write_bytes(cp1258(one_post(title="Quốc khánh")))
    out = found(y)
    assert any(":4:" in x and "UTF-8" in x for x in out), out


def test_a_media_check_names_the_line_of_the_photo(tmp_path: Path) -> None:
    media(tmp_path)
    (tmp_path / "media" / "b.jpg").write_bytes(b"jpg")

    def second_photo_is_broken(spec: PostSpec) -> list[Problem]:
        return [Problem("images", "hỏng", "block", i) for i, p in enumerate(spec.images) if p.name == "b.jpg"]

    text = GOOD.replace(
        "    images: [media/a.jpg]\n", "    images:\n      - media/a.jpg\n      - media/b.jpg\n"
    )
    out = found(write(tmp_path, text), ctx(extra_checks=(second_photo_is_broken,)))
    assert out == [":13: [giai-phong-51-nam] images: hỏng"], out


def test_loaded_schedule_knows_the_line_of_each_field(tmp_path: Path) -> None:
    media(tmp_path)
    loaded = load_schedule(write(tmp_path, GOOD), ctx())
    assert loaded.lines["giai-phong-51-nam"]["title"] == 8
    assert loaded.lines["giai-phong-51-nam"]["text"] == 9
    assert loaded.lines["quoc-khanh"]["video"] == 17


# -- the fuzz test: a generator that reaches the hostile inputs above -----------------------------

HOSTILE_SCALARS = [
    "0001-01-01 00:00",
    "9999-12-31 23:59",
    "2026-02-30 07:00",
    "2026-03-08 02:30",
    "2026-04-30 24:00",
    "2026-04-30 07:00",
    "2100-12-31 23:59",
    "99999999999d",
    "9" * 500,
    "30d",
    "-1h",
    "1e309",
    "nan",
    "0x10",
    "~",
    "null",
    "''",
    '"\\0"',
    '"\\ud800"',
    '"\\x07"',
    "\ufeff",
    "A" * 300,
    "Đ" * 201,
    "Asia/Ho_Chi_Minh",
    "America/New_York",
    "",
    "[]",
    "{}",
    "../../etc/passwd",
    "/dev/zero",
    "~root/x",
    "media/" + "a" * 300 + ".jpg",
    "facebook/ubnd-hanh-dich",
    "facebook/" + "x" * 80,
    "yes",
    "có",
    "!!python/object:os.system x",
    "!!binary aGVsbG8=",
    "&a x",
    "*a",
]
# a value: one of the above as written, or any text as a YAML double-quoted scalar (NUL, surrogates…)
scalar_text = st.one_of(
    st.sampled_from(HOSTILE_SCALARS),
    st.text(max_size=12).map(lambda s: json.dumps(s)),
    st.integers(-(10**30), 10**30).map(str),
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%d %H:%M")),
)
FIELDS = [
    "id",
    "at",
    "title",
    "text",
    "images",
    "video",
    "targets",
    "grace",
    "draft",
    "options",
    "campaign",
    "author",
    "timezone",
    "link",
    "banner",
    "<<",
    "x",
]
VALID_POST = {
    "id": "bai",
    "at": "2026-04-30 07:00",
    "title": "Tin",
    "text": "Nội dung",
    "targets": "[facebook/ubnd-hanh-dich]",
}


@st.composite
def hostile_value(draw: st.DrawFn, n: int) -> str:
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return "*d"  # an alias
    if kind == 1:
        return f"&v{n} {draw(scalar_text)}"  # an anchor
    if kind == 2:
        depth = draw(st.integers(1, 40))
        return "[" * depth + draw(scalar_text) + "]" * depth  # deep nesting
    if kind == 3:
        return f"[{draw(scalar_text)}, {draw(scalar_text)}]"
    if kind == 4:
        return f"{{{draw(scalar_text)}: {draw(scalar_text)}, x: {{y: {draw(scalar_text)}}}}}"
    return str(draw(scalar_text))


@st.composite
def hostile_yaml(draw: st.DrawFn) -> str:
    """YAML text with anchors, aliases, merge keys, duplicate keys, huge numbers, odd dates, deep lists;
    most posts start valid and have a few fields replaced or repeated, so the checks past the
    syntax are reached."""
    lines = []
    if draw(st.booleans()):
        lines.append(f"timezone: {draw(scalar_text)}")
    if draw(st.booleans()):
        lines.append(f"campaign: {draw(scalar_text)}")
    if not draw(st.integers(0, 4)):
        lines.append("defaults: &d\n  targets: [facebook/ubnd-hanh-dich]")
    if not draw(st.integers(0, 4)):
        depth = draw(st.integers(1, 9))  # billion laughs
        lines.append("l0: &l0 [x, x, x, x, x, x, x, x, x]")
        lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, depth)]
    lines.append("posts:")
    for _ in range(draw(st.integers(1, 3))):
        post = [(k, v) for k, v in VALID_POST.items() if draw(st.integers(0, 9))]
        for f in draw(st.lists(st.sampled_from(FIELDS), max_size=4)):  # may repeat a key
            post.append((f, draw(hostile_value(len(lines)))))
        for i, (f, v) in enumerate(post):
            lines.append(("  - " if i == 0 else "    ") + f"{f}: {v}")
    return "\n".join(lines) + "\n"


@st.composite
def hostile_csv(draw: st.DrawFn) -> str:
    header = ["id", "at", "title", "text", "targets"] + draw(
        st.lists(st.sampled_from(["images", "", "text", "grace", "draft", "campaign", "x"]), max_size=3)
    )
    rows = [",".join(draw(st.permutations(header)))]
    for _ in range(draw(st.integers(0, 3))):
        cells = draw(
            st.lists(
                st.one_of(st.sampled_from([*VALID_POST.values(), *HOSTILE_SCALARS]), st.text(max_size=8)),
                min_size=4,
                max_size=9,
            )
        )
        rows.append(",".join(cells))
    return "\n".join(rows) + "\n"


hostile_bytes = st.one_of(
    st.binary(max_size=200),
    hostile_yaml().map(lambda s: s.encode("utf-8")),
    hostile_yaml().map(lambda s: b"\xef\xbb\xbf" + s.encode("utf-8")),  # BOM
    hostile_yaml().map(lambda s: s.encode("utf-8").replace(b": ", b":\x00 ", 1)),  # NUL
    hostile_yaml().map(lambda s: s.encode("cp1258", errors="replace")),
)


@settings(max_examples=400, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.one_of(
        hostile_bytes.map(lambda b: ("fuzz.yaml", b)),
        hostile_csv().map(lambda s: ("fuzz.csv", s.encode("utf-8"))),
    )
)
@example(data=("fuzz.yaml", BILLION_LAUGHS.encode()))
@example(data=("fuzz.yaml", b"a: &a [*a]\n"))
@example(data=("fuzz.yaml", one_post(at="0001-01-01 00:00").encode()))
@example(data=("fuzz.yaml", one_post(grace="99999999999d").encode()))
@example(data=("fuzz.yaml", one_post(options="{x: " + "9" * 5000 + "}").encode()))
@example(data=("fuzz.yaml", one_post(images='["a\\0b.jpg"]').encode()))
@example(data=("fuzz.yaml", one_post(images="[" + "a" * 5000 + ".jpg]").encode()))
@example(data=("fuzz.yaml", ("posts: " + "[" * 3000).encode()))
def test_loader_never_raises_anything_but_its_validation_error(
    tmp_path: Path, data: tuple[str, bytes]
) -> None:
    """Whatever the bytes, the loader answers in time with ValidationFailed (or loads), every problem
    renders with the file name, and nothing else escapes."""
    name, raw = data
    path = tmp_path / name
    path.write_bytes(raw)
    try:
        loaded = load_schedule(path, ctx())
    except ValidationFailed as exc:
        assert exc.problems
        for p in exc.problems:
            assert str(p).startswith(str(path))
    else:
        for spec in loaded.posts:
            assert 2000 <= spec.due_at.year <= 2100
            assert spec.grace_hours is None or spec.grace_hours <= MAX_GRACE_HOURS


# -- keys that are not names, explicit tags, an unterminated CSV quote ----------------------------


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (one_post() + "    ? [1, 2]\n    : x\n", 7),
        (one_post() + "    {1: 2}: z\n", 7),
        ("? {a: b}\n: c\n" + one_post(), 1),
        (one_post(options="{[youtube]: {privacy: public}}"), 7),
    ],
)
def test_a_mapping_key_that_is_not_a_name_is_refused_plainly(tmp_path: Path, text: str, line: int) -> None:
    out = found(write(tmp_path, text))
    assert any(p.startswith(f":{line}:") and "tên trường" in p for p in out), out
    assert not [p for p in out if "<unicode string>" in p or "column" in p or "line " in p], out
    set_language("en")
    try:
        out = found(write(tmp_path, text))
    finally:
        set_language("vi")
    assert any(p.startswith(f":{line}:") and "field name" in p for p in out), out


@pytest.mark.parametrize(
    ("text", "line", "tag"),
    [
        (one_post(text="!!binary aGVsbG8="), 5, "!!binary"),
        (one_post(title="!!str 2026"), 4, "!!str"),
        (one_post(images="!!set {media/a.jpg}"), 7, "!!set"),
        (one_post(text="!ghi-chu Nội dung"), 5, "!ghi-chu"),
        (one_post(text="!<tag:yaml.org,2002:binary> aGVsbG8="), 5, "tag:yaml.org,2002:binary"),
        ("--- !!map\n" + one_post(), 1, "!!map"),
        ("posts:\n  - !!python/object:os.system {id: x}\n", 2, "!!python/object:os.system"),
    ],
)
def test_explicit_yaml_tags_are_refused(tmp_path: Path, text: str, line: int, tag: str) -> None:
    out = found(write(tmp_path, text))
    assert any(p.startswith(f":{line}:") and tag in p for p in out), out


def test_quoted_values_that_look_like_tags_are_text(tmp_path: Path) -> None:
    loaded = load_schedule(write(tmp_path, one_post(text='"!!binary aGVsbG8="')), ctx())
    assert loaded.posts[0].text == "!!binary aGVsbG8="


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (CSV_HEAD + 'a,2026-05-19 07:00,T,"X\n', 2),
        (CSV_HEAD + CSV_ROW + 'bai-2,2026-05-20 07:00,Tin,"Một ""câu"" dài\ncòn tiếp,facebook/x\n', 3),
        (CSV_HEAD + CSV_ROW + CSV_ROW.replace("bai-1", "bai-3") + 'bai-2,2026-05-20 07:00,"Tin\n', 4),
    ],
)
def test_an_unterminated_csv_quote_names_its_line(tmp_path: Path, text: str, line: int) -> None:
    out = found(write(tmp_path, text, "k.csv"))
    assert out and out[0].startswith(f":{line}:") and "ngoặc kép" in out[0], out
    assert not [p for p in out if "targets" in p], out
    set_language("en")
    try:
        out = found(write(tmp_path, text, "k.csv"))
    finally:
        set_language("vi")
    assert any(f"unterminated quote starting at line {line}" in p.lower() for p in out), out


def test_quotes_inside_csv_cells_are_still_fine(tmp_path: Path) -> None:
    text = (
        CSV_HEAD
        + 'bai-1,2026-05-19 07:00,Tin "nóng",Nội dung,facebook/ubnd-hanh-dich\n'
        + 'bai-2,2026-05-20 07:00,"Tin ""hay""","Hai\ndòng",facebook/ubnd-hanh-dich\n'
    )
    loaded = load_schedule(write(tmp_path, text, "k.csv"), ctx())
    assert [p.title for p in loaded.posts] == ['Tin "nóng"', 'Tin "hay"']
    assert loaded.posts[1].text == "Hai\ndòng"


# -- a photo story (story:) ----------------------------------------------------------------------

STORY = """\
posts:
  - id: le-hoi-hoa-ban
    at: 2026-03-20 07:00
    title: Lễ hội Hoa Ban xã Hạnh Dịch
    text: Nội dung
    targets: [facebook/ubnd-hanh-dich]
    story:
      seconds: 2
      photos:
        - {file: media/a.jpg, caption: Đoàn rước}
        - media/b.jpg
      music: media/nhac.mp3
"""


def story_media(tmp_path: Path) -> None:
    (tmp_path / "media").mkdir(exist_ok=True)
    for name in ("a.jpg", "b.jpg", "nhac.mp3"):
        (tmp_path / "media" / name).write_bytes(name.encode())


def test_a_story_block_becomes_the_posts_clip_and_is_in_its_hash(tmp_path: Path) -> None:
    story_media(tmp_path)
    (spec,) = load_schedule(write(tmp_path, STORY), ctx()).posts
    story = spec.story
    assert story is not None
    assert [p.file for p in story.photos] == [(tmp_path / "media" / n).resolve() for n in ("a.jpg", "b.jpg")]
    assert [p.caption for p in story.photos] == ["Đoàn rước", None]
    assert story.title == "Lễ hội Hoa Ban xã Hạnh Dịch" and story.seconds == 2.0
    assert story.date is not None and story.date.isoformat() == "2026-03-20"
    assert story.music == (tmp_path / "media" / "nhac.mp3").resolve()
    assert spec.video is not None and spec.video.name == "le-hoi-hoa-ban.story"  # made when prepared
    assert (tmp_path / "media" / "b.jpg").resolve() in spec.media_files()
    # the settings are covered by the hash that approval signs
    slower = load_schedule(write(tmp_path, STORY.replace("seconds: 2", "seconds: 3")), ctx()).posts[0]
    assert slower.content_hash() != spec.content_hash()


def test_bad_story_input_names_file_line_post_and_field(tmp_path: Path) -> None:
    story_media(tmp_path)
    text = STORY.replace("seconds: 2", "seconds: 99").replace("media/b.jpg", "media/khong-co.jpg")
    out = problems_of(write(tmp_path, text))
    where = f"{tmp_path / 'lich.yaml'}"
    assert any(p.startswith(f"{where}:8: [le-hoi-hoa-ban] story.seconds") and "1–15" in p for p in out), out
    assert any(
        p.startswith(f"{where}:11: [le-hoi-hoa-ban] story.photos[1].file") and "khong-co.jpg" in p
        for p in out
    ), out


def test_story_files_are_confined_like_images(tmp_path: Path) -> None:
    story_media(tmp_path)
    outside = tmp_path.parent / "ngoai.jpg"
    outside.write_bytes(b"x")
    (tmp_path / "media" / "lien-ket.jpg").symlink_to(outside)
    text = STORY.replace("media/b.jpg", "media/lien-ket.jpg")
    out = problems_of(write(tmp_path, text))
    assert any("story.photos[1].file" in p and "PUBLISHER_MEDIA_ROOTS" in p for p in out), out


def test_story_and_video_together_or_in_csv_are_refused(tmp_path: Path) -> None:
    story_media(tmp_path)
    (tmp_path / "media" / "v.mp4").write_bytes(b"mp4")
    out = problems_of(write(tmp_path, STORY.replace("    story:\n", "    video: media/v.mp4\n    story:\n")))
    assert any(":8: [le-hoi-hoa-ban] story:" in p and "video" in p for p in out), out
    csv_text = "id,at,title,text,targets,story\nx,2026-04-01 07:00,T,N,facebook/ubnd-hanh-dich,media/a.jpg\n"
    out = problems_of(write(tmp_path, csv_text, "lich.csv"))
    assert any(":2: [x] story:" in p and "YAML" in p for p in out), out
    out = problems_of(
        write(tmp_path, STORY.replace("    story:\n", "    options: {story: {}}\n    story:\n"))
    )
    assert any("options.story" in p for p in out), out
