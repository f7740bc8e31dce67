"""``publisher.actions.queue``: the rules of reading schedule files, shared by the CLI and the web app."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from publisher.actions.queue import (
    load_files,
    queue_schedules,
    read_schedules,
    schedule_context,
)
from publisher.errors import UserError, ValidationFailed
from publisher.store import Store


def schedule(folder: Path, name: str, key: str, text: str = "Chào mừng ngày thành lập xã.") -> Path:
    when = (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(days=5)).strftime("%Y-%m-%d 07:00")
    path = folder / name
    path.write_text(
        f"""posts:
  - id: {key}
    at: {when}
    title: Thông báo của UBND xã
    text: "{text}"
    targets: [sandbox/demo]
""",
        encoding="utf-8",
    )
    return path


def test_a_post_id_may_not_repeat_across_files(sqlite_office: Store, tmp_path: Path) -> None:
    st = sqlite_office
    first = schedule(tmp_path, "a.yaml", "bai-chung")
    second = schedule(tmp_path, "b.yaml", "bai-chung")
    ctx = schedule_context(st, st.settings)
    with pytest.raises(ValidationFailed) as info:
        load_files([str(first), str(second)], ctx)
    [problem] = info.value.problems
    assert (problem.file, problem.line, problem.post_id, problem.field) == (str(second), 2, "bai-chung", "id")
    assert "bai-chung" in str(problem.message) and "trùng" in str(problem.message)
    # each file alone, or the same file twice, is one post
    assert [ls.posts[0].key for ls in load_files([str(first), str(first)], ctx)] == ["bai-chung", "bai-chung"]
    with pytest.raises(UserError):  # nothing is queued from files that failed
        read_schedules(st, st.settings, [str(first), str(second)])
    assert st.deliveries() == []


def test_every_post_is_reviewed_on_the_line_of_its_field(sqlite_office: Store, tmp_path: Path) -> None:
    st = sqlite_office
    blocked = schedule(tmp_path, "a.yaml", "bai-cccd", "Ông A, số CCCD 040089001234, được khen thưởng.")
    clean = schedule(tmp_path, "b.yaml", "bai-sach")
    read = read_schedules(st, st.settings, [str(blocked), str(clean)])
    assert [(r.file, r.key, r.blocks) for r in read.reviews] == [
        (str(blocked), "bai-cccd", True),
        (str(clean), "bai-sach", False),
    ]
    [(line, finding)] = read.reviews[0].findings
    assert line == 5 and finding.field == "text" and "040089001234" not in str(finding)
    assert read.blocked == {str(blocked): 1}
    with pytest.raises(UserError) as info:  # queue --check fails while a post cannot be approved
        read.refuse_blocked()
    assert str(blocked) in str(info.value) and str(clean) not in str(info.value)
    read_schedules(st, st.settings, [str(clean)]).refuse_blocked()  # nothing blocks: the check passes
    assert st.deliveries() == []  # reading writes nothing


def test_queue_schedules_queues_every_file_and_counts_what_waits(
    sqlite_office: Store, tmp_path: Path
) -> None:
    st = sqlite_office
    files = [str(schedule(tmp_path, "a.yaml", "bai-mot")), str(schedule(tmp_path, "b.yaml", "bai-hai"))]
    result = queue_schedules(st, st.settings, read_schedules(st, st.settings, files), None)
    assert result.report.created == ["bai-mot", "bai-hai"]
    assert result.awaiting_approval == 2
    assert st.post_detail("bai-hai")["post"].source_file == str(Path(files[1]).resolve())
    again = queue_schedules(st, st.settings, read_schedules(st, st.settings, files), "can-bo")
    assert again.report.unchanged == ["bai-mot", "bai-hai"] and again.awaiting_approval == 2
