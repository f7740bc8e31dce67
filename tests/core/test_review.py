"""The pre-publish check: each finding, its kind, where it points, in Vietnamese and English."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from publisher.core.models import PostSpec, Target
from publisher.core.review import (
    Finding,
    as_problem,
    blocking,
    detect_legacy,
    review,
    schedule_check,
    to_unicode,
)
from publisher.i18n import msg, set_language

FACEBOOK: dict[str, Any] = {"platform": "facebook", "title_max": None, "text_max": 63206, "max_images": 10}
YOUTUBE: dict[str, Any] = {
    "platform": "youtube",
    "title_max": 100,
    "text_max": 5000,
    "text_counts_bytes": True,
    "supports_video": True,
}
ZALO: dict[str, Any] = {"platform": "zalo", "title_max": 150, "text_max": 2000, "max_images": 10}
LIMITS: dict[str, dict[str, Any]] = {"facebook": FACEBOOK, "youtube": YOUTUBE, "zalo": ZALO}

TCVN3 = "Céng hoµ x· héi chñ nghÜa ViÖt Nam - §éc lËp - Tù do - H¹nh phóc"
VNI = "Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam - Ñoäc laäp - Töï do - Haïnh phuùc"
UNICODE = "Cộng hòa xã hội chủ nghĩa Việt Nam - Độc lập - Tự do - Hạnh phúc"
UNICODE_OLD_TONES = (
    "Cộng hoà xã hội chủ nghĩa Việt Nam - Độc lập - Tự do - Hạnh phúc"  # "hoà", as typed in TCVN3
)


def post(
    text: str = "Chào mừng Ngày Quốc khánh 2/9.",
    title: str = "Kỷ niệm Quốc khánh",
    targets: tuple[str, ...] = ("facebook/ubnd-xa",),
    images: tuple[Path, ...] = (),
    video: Path | None = None,
) -> PostSpec:
    return PostSpec(
        key="bai-1",
        title=title,
        text=text,
        due_at=datetime(2026, 9, 2, tzinfo=UTC),
        timezone="Asia/Ho_Chi_Minh",
        targets=tuple(Target.parse(t) for t in targets),
        images=images,
        video=video,
    )


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def only(findings: list[Finding], code: str) -> Finding:
    [found] = [f for f in findings if f.code == code]
    return found


def both_languages(finding: Finding) -> tuple[str, str]:
    set_language("vi")
    vi = str(finding)
    set_language("en")
    en = str(finding)
    set_language("vi")
    return vi, en


def test_clean_post_has_no_findings() -> None:
    text = (
        "Hòa chung không khí cả nước, xã tổ chức treo cờ. Bảo vệ bí mật nhà nước là trách nhiệm của "
        "mọi người; mật ong rừng là đặc sản; không chia sẻ mật khẩu.\nBẢO VỆ BÍ MẬT NHÀ NƯỚC\n"
        "Ngày 2/9/2025, năm 2025, mã hồ sơ 12345, số 0,5 ha, lúc 07:00."
    )
    assert review(post(text), LIMITS) == []


# --- limits --------------------------------------------------------------------------------------


def test_text_over_the_limit_blocks_per_platform() -> None:
    findings = review(post("a" * 2500, targets=("facebook/ubnd-xa", "zalo/ubnd-xa")), LIMITS)
    found = only(findings, "limits.text_long")
    assert (
        found.kind == "block" and found.target == "zalo" and found.field == "text" and found.position == 2000
    )
    vi, en = both_languages(found)
    assert "bai-1 · text @2000 (zalo) [CHẶN]" in vi and "2500 ký tự" in vi
    assert "bai-1 · text @2000 (zalo) [BLOCK]" in en and "2500 characters" in en


def test_youtube_description_counts_utf8_bytes() -> None:
    text = "ệ" * 1700  # 1,700 characters, 5,100 bytes
    findings = review(post(text, targets=("youtube/kenh-xa",), video=Path("/tmp/v.mp4")), LIMITS)
    found = only(findings, "limits.text_long")
    assert found.target == "youtube"
    vi, en = both_languages(found)
    assert "5100 byte UTF-8" in vi and "5100 UTF-8 bytes" in en
    assert review(post("ệ" * 1600, targets=("youtube/kenh-xa",), video=Path("/tmp/v.mp4")), LIMITS) == []


def test_platform_without_limits_is_not_measured() -> None:
    assert review(post("a" * 99999, targets=("sandbox/demo",)), LIMITS) == []


# --- legacy encodings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("legacy", "encoding", "expected", "sample"),
    [(TCVN3, "TCVN3", UNICODE_OLD_TONES, "hoµ"), (VNI, "VNI", UNICODE, "Coäng")],
)
def test_legacy_encoding_blocks_and_offers_unicode(
    legacy: str, encoding: str, expected: str, sample: str
) -> None:
    assert detect_legacy(legacy) == encoding
    assert to_unicode(legacy) == expected
    found = only(review(post(legacy), LIMITS), "legacy_encoding")
    assert found.kind == "block" and found.field == "text" and found.position == legacy.index(sample)
    converted = to_unicode(sample)
    vi, en = both_languages(found)
    assert f"bảng mã cũ {encoding}" in vi and f"«{sample}»" in vi and f"«{converted}»" in vi
    assert f"legacy {encoding} encoding" in en and f"«{converted}»" in en


def test_legacy_title_is_found_too() -> None:
    found = only(review(post(title="Kû niÖm 95 n¨m Ngµy thµnh lËp §¶ng"), LIMITS), "legacy_encoding")
    assert found.field == "title" and found.position == 0
    assert to_unicode("Kû niÖm 95 n¨m Ngµy thµnh lËp §¶ng") == "Kỷ niệm 95 năm Ngày thành lập Đảng"


def test_vni_upper_case_and_horns() -> None:
    assert to_unicode("COÄNG HOØA - Tröôøng hoïc - ÑÖÔØNG", "VNI") == "CỘNG HÒA - Trường học - ĐƯỜNG"


def test_unicode_with_guillemets_and_symbols_is_not_legacy() -> None:
    text = "Khẩu hiệu «Độc lập» và «Tự do» · diện tích 3×4 m² · 25°C · © UBND xã"
    assert detect_legacy(text) is None
    assert detect_legacy(UNICODE) is None
    assert "legacy_encoding" not in codes(review(post(text), LIMITS))


def test_other_checks_look_at_the_converted_text() -> None:
    findings = review(post("Tµi liÖu nµy lµ TuyÖt MËt"), LIMITS)
    assert "legacy_encoding" in codes(findings) and "classified_word" in codes(findings)


# --- NFC ------------------------------------------------------------------------------------------


def test_non_nfc_text_warns_with_position() -> None:
    text = "Xin chào " + unicodedata.normalize("NFD", "Việt Nam")
    found = only(review(post(text), LIMITS), "not_nfc")
    assert found.kind == "warn" and found.position == 12  # first combining mark, after "Xin chào Vie"
    vi, en = both_languages(found)
    assert "[LƯU Ý]" in vi and "NFC" in vi and "[WARN]" in en and "not Unicode NFC" in en


# --- classified marks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "mark"),
    [
        ("MẬT\nBáo cáo tình hình an ninh quý III", "MẬT"),
        ("[TỐI MẬT]\nKế hoạch", "TỐI MẬT"),
        ("  Tuyệt mật.  \nVăn bản", "TUYỆT MẬT"),
        ("Văn bản số 12/BC-CA (TUYỆT MẬT) gửi UBND xã", "TUYỆT MẬT"),
        ("Báo cáo TỐI MẬT về biên giới", "TỐI MẬT"),
        ("Độ mật: Mật\nNơi nhận: ...", "ĐỘ MẬT"),
    ],
)
def test_classified_marks_block(text: str, mark: str) -> None:
    found = [f for f in review(post(text), LIMITS) if f.code == "classified_mark"]
    assert found and all(f.kind == "block" for f in found)
    assert found[0].position == text.upper().index(mark.split()[0]) or mark == "ĐỘ MẬT"
    vi, en = both_languages(found[0])
    assert f"«{found[0].message.params['mark']}»" in vi and "tài liệu mật" in vi  # type: ignore[union-attr]
    assert "classified documents" in en


@pytest.mark.parametrize(
    "text",
    [
        "Giữ bí mật thông tin cá nhân.",
        "BẢO VỆ BÍ MẬT NHÀ NƯỚC TRONG TÌNH HÌNH MỚI",
        "Đặc sản mật ong rừng Quế Phong.",
        "Không chia sẻ mật khẩu Zalo cho người lạ.",
        "Công tác bảo mật thông tin đối ngoại.",
    ],
)
def test_ordinary_prose_about_secrecy_is_not_a_mark(text: str) -> None:
    assert review(post(text), LIMITS) == []


def test_lower_case_top_secret_in_prose_warns() -> None:
    text = "Công thức nấu ăn tuyệt mật của bà."
    found = only(review(post(text), LIMITS), "classified_word")
    assert found.kind == "warn" and found.position == text.index("tuyệt")
    vi, en = both_languages(found)
    assert "bí mật nhà nước" in vi and "state secret" in en


# --- personal data --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "0912345678",
        "0912 345 678",
        "0912.345.678",
        "091-234-5678",
        "+84912345678",
        "84 912 345 678",
        "0238 3868 123",
    ],
)
def test_phone_numbers_warn(number: str) -> None:
    text = f"Liên hệ: {number}."
    found = only(review(post(text), LIMITS), "phone")
    assert found.kind == "warn" and found.position == text.index(number)
    vi, en = both_languages(found)
    assert "số điện thoại" in vi and "phone number" in en
    digits = "".join(c for c in number if c.isdigit())
    assert f"({digits[:3]}…{digits[-2:]})" in vi and digits not in vi  # masked, never echoed whole


@pytest.mark.parametrize("text", ["Năm 2025, 1234567890 đồng.", "Mã 0112345678901234.", "Số 0123456789."])
def test_numbers_that_are_not_phones(text: str) -> None:
    assert "phone" not in codes(review(post(text), LIMITS))


def test_citizen_id_blocks() -> None:
    text = "Ông A, CCCD số 040089012345, thôn Bản Mồng."
    findings = review(post(text), LIMITS)
    found = only(findings, "citizen_id")
    assert found.kind == "block" and found.position == text.index("040089012345")
    assert "phone" not in codes(findings)
    vi, en = both_languages(found)
    assert "căn cước" in vi and "040…45" in vi and "citizen ID" in en
    assert "040089012345" not in vi  # never echo the full number


def test_twelve_digits_without_a_province_code_are_not_an_id() -> None:
    assert "citizen_id" not in codes(review(post("Mã giao dịch 990089012345."), LIMITS))


def test_email_warns() -> None:
    text = "Góp ý gửi vanhoa.hanhdich@nghean.gov.vn hoặc gọi điện."
    found = only(review(post(text), LIMITS), "email")
    assert found.kind == "warn" and found.position == text.index("vanhoa")
    vi, en = both_languages(found)
    assert "thư điện tử" in vi and "e-mail" in en


# --- forbidden words ------------------------------------------------------------------------------


def test_forbidden_words_block_case_insensitively_as_whole_words() -> None:
    text = "Tin đồn THẤT THIỆT về dự án; thiệt hại nhỏ."
    findings = review(post(text), LIMITS, forbidden_words=["thất thiệt", "thiệt", "  "])
    found = [f for f in findings if f.code == "forbidden"]
    assert [f.position for f in found] == [
        text.index("THẤT THIỆT"),
        text.index("THIỆT"),
        text.index("thiệt hại"),
    ]
    assert all(f.kind == "block" for f in found)
    vi, en = both_languages(found[0])
    assert "danh sách cấm: «thất thiệt»" in vi and "forbidden list: «thất thiệt»" in en
    assert review(post("Thiệt hại nhỏ."), LIMITS, forbidden_words=["thất thiệt"]) == []


def test_forbidden_words_match_decomposed_input() -> None:
    found = review(
        post("Tin " + unicodedata.normalize("NFD", "thất thiệt")), LIMITS, forbidden_words=["thất thiệt"]
    )
    assert "forbidden" in codes(found)


# --- GPS ------------------------------------------------------------------------------------------


def _jpeg(path: Path, gps: bool) -> Path:
    from PIL import Image

    image = Image.new("RGB", (8, 8), "red")
    exif = Image.Exif()
    exif[0x0112] = 1  # orientation
    if gps:
        ifd = exif.get_ifd(0x8825)
        ifd[1] = "N"
        ifd[2] = (19.0, 42.0, 30.0)
        ifd[3] = "E"
        ifd[4] = (104.0, 51.0, 10.0)
    image.save(path, exif=exif.tobytes())
    return path


def test_photos_with_gps_block(tmp_path: Path) -> None:
    from assets.checks import gps_images, has_gps, strip_gps

    with_gps = _jpeg(tmp_path / "co-gps.jpg", gps=True)
    without = _jpeg(tmp_path / "khong-gps.jpg", gps=False)
    broken = tmp_path / "hong.jpg"
    broken.write_bytes(b"not a jpeg")
    assert has_gps(with_gps) and not has_gps(without) and not has_gps(broken)
    found_set = gps_images([with_gps, without, broken])
    assert found_set == {with_gps}

    findings = review(post(images=(without, with_gps)), LIMITS, gps_images=found_set)
    found = only(findings, "gps")
    assert found.kind == "block" and found.field == "images" and found.position == 1
    vi, en = both_languages(found)
    assert "co-gps.jpg" in vi and "vị trí GPS" in vi and "GPS position" in en

    cleaned = tmp_path / "da-xoa.jpg"
    strip_gps(with_gps, cleaned)
    assert not has_gps(cleaned)
    from PIL import Image

    with Image.open(cleaned) as image:
        assert image.getexif().get(0x0112) == 1  # other EXIF kept


def test_opening_a_photo_finds_damage_the_header_hides(tmp_path: Path) -> None:
    """Header, pixel cap and whole data: what ``queue`` and ``approve`` find before a render would."""
    from PIL import Image

    from assets.checks import look_at_photo

    noise = Image.effect_noise((400, 300), 50)
    noise.convert("RGB").save(tmp_path / "ok.jpg", quality=90)
    noise.save(tmp_path / "ok.png")
    for name in ("ok.jpg", "ok.png"):
        data = (tmp_path / name).read_bytes()
        (tmp_path / f"cut-{name}").write_bytes(data[: len(data) * 2 // 3])
    with_gps = _jpeg(tmp_path / "gps.jpg", gps=True)
    cap = 50_000_000
    assert look_at_photo(tmp_path / "ok.jpg", cap).problem is None
    assert look_at_photo(tmp_path / "ok.png", cap).problem is None
    assert look_at_photo(with_gps, cap).gps and look_at_photo(with_gps, cap).problem is None
    for name in ("cut-ok.jpg", "cut-ok.png"):
        assert look_at_photo(tmp_path / name, cap).problem == msg("media.unreadable", name=name)
        assert look_at_photo(tmp_path / name, cap, whole=False).problem is None  # the header alone looks fine
    too_big = look_at_photo(tmp_path / "ok.png", 400 * 300 - 1).problem
    assert too_big is not None and too_big.key == "media_probe.too_many_pixels"
    assert look_at_photo(tmp_path / "khong-co.jpg", cap).problem == msg(
        "media.not_found", name="khong-co.jpg"
    )


# --- shape ----------------------------------------------------------------------------------------


def test_findings_serialise_and_blocking_filter() -> None:
    findings = review(post("Gọi 0912345678. MẬT"), LIMITS)
    data: list[dict[str, Any]] = [f.as_dict() for f in findings]
    assert {d["kind"] for d in data} == {"warn"}  # "MẬT" inside a sentence is not the stamp
    findings = review(post("MẬT\nGọi 0912345678."), LIMITS)
    assert [f.code for f in blocking(findings)] == ["classified_mark"]
    assert {"post", "field", "position", "kind", "code", "target", "message"} == set(findings[0].as_dict())


def test_schedule_loader_hook(tmp_path: Path) -> None:
    from publisher.core.schedule import Context, load_schedule
    from publisher.errors import ValidationFailed

    schedule = tmp_path / "lich.yaml"
    schedule.write_text(
        "defaults: {targets: [sandbox/demo]}\n"
        "posts:\n"
        "  - {id: a, at: 2030-01-01 07:00, title: Tin, text: 'Gọi 0912345678'}\n"
        "  - {id: b, at: 2030-01-02 07:00, title: Tin, text: 'Tin đồn thất thiệt'}\n",
        encoding="utf-8",
    )
    ctx = Context(now=datetime(2029, 1, 1, tzinfo=UTC), extra_checks=(schedule_check(["thất thiệt"]),))
    with pytest.raises(ValidationFailed) as info:
        load_schedule(schedule, ctx)
    problems = [str(p) for p in info.value.problems]
    assert any("[b] text" in p and "thất thiệt" in p for p in problems)
    assert any("[a] text" in p and "số điện thoại" in p for p in problems)  # a warning, reported as a note
    assert as_problem(only(review(post("MẬT\nx"), LIMITS), "classified_mark")).severity == "block"
