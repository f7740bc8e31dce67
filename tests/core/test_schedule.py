from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from publisher.core.models import Platform, Target
from publisher.core.schedule import Context, load_schedule
from publisher.errors import ValidationFailed
from publisher.i18n import set_language

NOW = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
LIMITS = {"youtube": {"platform": "youtube", "title_max": 100, "text_max": 5000, "text_counts_bytes": True,
                      "max_images": 0, "supports_video": True}}


def ctx(**kw: object) -> Context:
    values: dict[str, object] = dict(now=NOW, known_targets={"facebook/ubnd-hanh-dich", "zalo/ubnd-hanh-dich",
                                                            "youtube/hanh-dich-tv"}, limits=LIMITS)
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
    assert first.targets == (Target(Platform.FACEBOOK, "ubnd-hanh-dich"), Target(Platform.ZALO, "ubnd-hanh-dich"))
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
    assert any(p.startswith(f"{tmp_path / 'lich.yaml'}:11: [giai-phong-51-nam] images") and "khong-co.jpg" in p
               for p in out), out
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
    text = GOOD.replace("youtube/hanh-dich-tv", "youtube/khong-ton-tai").replace("id: quoc-khanh", "id: giai-phong-51-nam")
    text = text.replace("2026-09-02 07:00", "2026-02-28 07:00")
    out = problems_of(write(tmp_path, text))
    assert any("youtube/khong-ton-tai" in p and "publisher accounts add" in p for p in out), out
    assert any("bị trùng" in p and "dòng 6" in p for p in out), out
    assert any("28/02/2026 07:00 đã qua" in p and "1h30" not in p for p in out), out


def test_past_within_grace_is_a_note_not_an_error(tmp_path: Path) -> None:
    media(tmp_path)
    text = GOOD.replace("2026-04-30 07:00", "2026-03-01 05:00")  # 22:00 UTC the day before: 2 h ago, grace 6 h
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
    loaded = load_schedule(write(tmp_path, GOOD.replace("title: Quốc khánh 2/9", f"title: {decomposed}")), ctx())
    assert loaded.posts[1].title == unicodedata.normalize("NFC", "Quốc khánh 2/9")
    assert any("NFC" in str(n) for n in loaded.notes)


def test_csv_import_with_line_numbers(tmp_path: Path) -> None:
    media(tmp_path)
    csv_text = (
        "id,at,title,text,targets,images\n"
        "bai-1,2026-05-19 07:00,Sinh nhật Bác,\"Dòng 1\nDòng 2\",facebook/ubnd-hanh-dich;zalo/ubnd-hanh-dich,media/a.jpg\n"
        "bai-2,2026-13-01 07:00,Sai ngày,Nội dung,facebook/ubnd-hanh-dich,\n"
    )
    out = problems_of(write(tmp_path, csv_text, "ke-hoach.csv"))
    assert any("ke-hoach.csv:4: [bai-2] at" in p for p in out), out
    ok = load_schedule(write(tmp_path, csv_text.splitlines()[0] + "\n" + "\n".join(csv_text.splitlines()[1:3]) + "\n",
                             "ok.csv"), ctx())
    assert ok.posts[0].text == "Dòng 1\nDòng 2"
    assert len(ok.posts[0].targets) == 2


def test_not_utf8_and_syntax_errors_are_clear(tmp_path: Path) -> None:
    p = tmp_path / "cp1258.yaml"
    p.write_bytes("posts:\n  - title: Qu\u1ed1c\n".encode("utf-16"))
    assert any("UTF-8" in x for x in problems_of(p))
    out = problems_of(write(tmp_path, "posts: [\n  - id: a\n"))
    assert any("cú pháp YAML" in x for x in out), out


yaml_scalars = st.one_of(st.text(max_size=20), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False))
yaml_values = st.recursive(yaml_scalars, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c,
                                                                                                   max_size=4),
                           max_leaves=12)
post_keys = st.sampled_from(["id", "at", "title", "text", "images", "video", "targets", "grace", "draft", "options",
                             "x"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=st.one_of(
    st.text(max_size=200),
    st.dictionaries(st.sampled_from(["timezone", "campaign", "defaults", "posts", "zzz"]), yaml_values, max_size=4),
    st.fixed_dictionaries({"posts": st.lists(st.dictionaries(post_keys, yaml_values, max_size=8), max_size=3)}),
))
def test_loader_never_raises_anything_but_its_validation_error(tmp_path: Path, doc: object) -> None:
    import yaml

    text = doc if isinstance(doc, str) else yaml.safe_dump(doc, allow_unicode=True)
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_schedule(path, ctx())
    except ValidationFailed as exc:
        assert exc.problems
        for p in exc.problems:
            str(p)
