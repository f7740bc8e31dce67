"""The pre-publish review at queue time (shown) and at approval (block findings refuse)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image

from tests.cli.conftest import Cli


def schedule(tmp_path: Path, text: str, images: str = "") -> Path:
    when = (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(days=5)).strftime("%Y-%m-%d 07:00")
    path = tmp_path / "lich.yaml"
    path.write_text(
        f"""posts:
  - id: bai-kiem-tra
    at: {when}
    title: Thông báo của UBND xã
    text: "{text}"
    targets: [sandbox/demo]
{images}""",
        encoding="utf-8",
    )
    return path


def test_citizen_id_blocks_approval_in_both_languages(run: Cli, tmp_path: Path) -> None:
    run("init")
    path = schedule(tmp_path, "Ông Nguyễn Văn A, số CCCD 040089001234, được khen thưởng.")
    q = run("queue", str(path))
    assert q.exit_code == 0
    assert "căn cước" in q.output and "CHẶN" in q.output
    r = run("approve", "bai-kiem-tra", "--by", "chu-tich")
    assert r.exit_code == 2 and "Không thể duyệt" in r.output and "căn cước" in r.output
    en = run("approve", "bai-kiem-tra", "--by", "chu-tich", PUBLISHER_LANGUAGE="en")
    assert en.exit_code == 2 and "Cannot approve" in en.output and "citizen ID" in en.output
    assert "040089001234" not in r.output  # the finding masks the number it reports


def test_warnings_are_shown_but_do_not_block(run: Cli, tmp_path: Path) -> None:
    run("init")
    path = schedule(tmp_path, "Đường dây nóng: 0912 345 678.")
    q = run("queue", str(path))
    assert "LƯU Ý" in q.output
    assert run("approve", "bai-kiem-tra", "--by", "chu-tich").exit_code == 0


def test_forbidden_words_setting_blocks(run: Cli, tmp_path: Path) -> None:
    run("init")
    path = schedule(tmp_path, "Nội dung có từ cấm-thử ở đây.")
    run("queue", str(path))
    r = run("approve", "bai-kiem-tra", "--by", "chu-tich", PUBLISHER_FORBIDDEN_WORDS="cấm-thử,khác")
    assert r.exit_code == 2
    assert run("approve", "bai-kiem-tra", "--by", "chu-tich").exit_code == 0


def test_photo_with_gps_blocks_approval(run: Cli, tmp_path: Path) -> None:
    run("init")
    img = Image.new("RGB", (64, 48), "red")
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (19.0, 35.0, 0.0), 3: "E", 4: (104.0, 52.0, 0.0)})
    (tmp_path / "media").mkdir()
    img.save(tmp_path / "media" / "ban.jpg", exif=exif)
    path = schedule(tmp_path, "Ảnh bản Hạnh Dịch.", "    images: [media/ban.jpg]\n")
    run("queue", str(path))
    r = run("approve", "bai-kiem-tra", "--by", "chu-tich")
    assert r.exit_code == 2 and "ban.jpg" in r.output


TCVN3 = "Céng hoµ x· héi chñ nghÜa ViÖt Nam"


def test_check_exits_2_on_a_block_finding_and_names_the_line_of_the_field(run: Cli, tmp_path: Path) -> None:
    run("init")
    path = schedule(tmp_path, TCVN3)
    r = run("queue", "--check", str(path))
    assert r.exit_code == 2, r.output
    assert f"{path}:5: bai-kiem-tra · text" in r.output and "TCVN3" in r.output and "CHẶN" in r.output, (
        r.output
    )
    assert "hợp lệ" not in r.output and "1 bài có mục CHẶN" in r.output
    en = run("queue", "--check", str(path), PUBLISHER_LANGUAGE="en")
    assert en.exit_code == 2 and "1 post(s) with BLOCK findings" in en.output, en.output
    assert json.loads(run("list", "--json").output) == []


def test_check_exits_0_when_findings_only_warn(run: Cli, tmp_path: Path) -> None:
    run("init")
    path = schedule(tmp_path, "Đường dây nóng: 0912 345 678.")
    r = run("queue", "--check", str(path))
    assert r.exit_code == 0 and "LƯU Ý" in r.output and "hợp lệ" in r.output, r.output
