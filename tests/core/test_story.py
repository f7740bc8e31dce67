"""``publisher.core.story``: the ``story:`` block and the timeline the renderer follows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from publisher.core.story import (
    CROSSFADE_SECONDS,
    DEFAULT_SECONDS,
    FPS,
    Story,
    StoryInvalid,
    StoryPhoto,
    parse_story,
    post_date,
    timeline,
)
from publisher.errors import UserError
from publisher.i18n import set_language

ISSUE_BLOCK = """
story:
  title: Lễ hội Hoa Ban 2026
  seconds: 3.5
  photos:
    - {file: media/hoa-ban-1.jpg, caption: Đoàn rước khai mạc lễ hội}
    - {file: media/hoa-ban-2.jpg}
  music: media/nhac-nen.mp3
"""


@pytest.fixture
def base(tmp_path: Path) -> Path:
    (tmp_path / "media").mkdir()
    for name in ("hoa-ban-1.jpg", "hoa-ban-2.jpg", "hoa-ban-3.jpg", "nhac-nen.mp3", "logo.png"):
        (tmp_path / "media" / name).write_bytes(b"x")
    return tmp_path


def _fields(exc: StoryInvalid) -> list[str]:
    return [p.field for p in exc.problems]


def test_the_block_of_the_issue_parses_with_its_defaults(base: Path) -> None:
    story = parse_story(yaml.safe_load(ISSUE_BLOCK)["story"], base)
    assert story.title == "Lễ hội Hoa Ban 2026"
    assert story.photos == (
        StoryPhoto(base / "media/hoa-ban-1.jpg", "Đoàn rước khai mạc lễ hội"),
        StoryPhoto(base / "media/hoa-ban-2.jpg", None),
    )
    assert story.music == base / "media/nhac-nen.mp3"
    assert (story.seconds, story.transition, story.pan_zoom, story.landscape, story.logo) == (
        DEFAULT_SECONDS,
        "crossfade",
        True,
        False,
        None,
    )


def test_order_is_kept_and_a_bare_path_is_a_photo_without_caption(base: Path) -> None:
    value = {
        "title": "T",
        "photos": ["media/hoa-ban-3.jpg", {"file": "media/hoa-ban-1.jpg", "caption": "Một"}],
    }
    story = parse_story(value, base)
    assert [p.file.name for p in story.photos] == ["hoa-ban-3.jpg", "hoa-ban-1.jpg"]
    assert [p.caption for p in story.photos] == [None, "Một"]


def test_the_post_gives_title_date_and_unit_when_the_block_does_not(base: Path) -> None:
    value = {"photos": ["media/hoa-ban-1.jpg"]}
    story = parse_story(value, base, title="Bài của xã", date=dt.date(2026, 3, 20), unit="UBND xã Hạnh Dịch")
    assert (story.title, story.date, story.unit) == ("Bài của xã", dt.date(2026, 3, 20), "UBND xã Hạnh Dịch")
    mine = parse_story(
        {**value, "title": "Của story", "date": "21/03/2026", "unit": "Đoàn xã"}, base, title="x"
    )
    assert (mine.title, mine.date, mine.unit) == ("Của story", dt.date(2026, 3, 21), "Đoàn xã")
    assert post_date("2026-03-20 07:00") == dt.date(2026, 3, 20)


def test_values_written_as_text_are_read_like_the_schedule_loader_gives_them(base: Path) -> None:
    value = {
        "title": "T",
        "seconds": "2,5",
        "transition": "Cut",
        "pan_zoom": "không",
        "landscape": "true",
        "logo": "media/logo.png",
        "photos": ["media/hoa-ban-1.jpg"],
    }
    story = parse_story(value, base)
    assert (story.seconds, story.transition, story.pan_zoom, story.landscape) == (2.5, "cut", False, True)
    assert story.logo == base / "media/logo.png"


def test_text_is_normalised_to_nfc(base: Path) -> None:
    nfd = "Le\u0302\u0303 ho\u0323\u0302i"  # "Lễ hội" typed as base letters + combining marks
    story = parse_story({"title": nfd, "photos": [{"file": "media/hoa-ban-1.jpg", "caption": nfd}]}, base)
    assert story.title == "Lễ hội" and story.photos[0].caption == "Lễ hội"


def test_every_problem_is_reported_at_once_with_its_field_path(base: Path) -> None:
    value = {
        "title": "T",
        "colour": "red",
        "seconds": 0.2,
        "transition": "wipe",
        "pan_zoom": "maybe",
        "photos": [
            {"file": "media/hoa-ban-1.jpg"},
            {"file": "media/hoa-ban-2.jpg", "zoom": 2},
            {"file": "media/khong-co.jpg"},
            {"caption": "no file"},
            {"file": "media/hoa-ban-3.jpg", "caption": ["a", "list"]},
        ],
        "music": "media/khong-co.mp3",
        "date": "30/02/2026",
    }
    with pytest.raises(StoryInvalid) as caught:
        parse_story(value, base)
    assert _fields(caught.value) == [
        "story.colour",
        "story.seconds",
        "story.transition",
        "story.photos[1].zoom",
        "story.photos[2].file",
        "story.photos[3].file",
        "story.photos[4].caption",
        "story.music",
        "story.pan_zoom",
        "story.date",
    ]
    assert isinstance(caught.value, UserError) and caught.value.exit_code == 2
    text = [str(p) for p in caught.value.problems]
    assert text[4].startswith("story.photos[2].file: Không tìm thấy tệp “media/khong-co.jpg”")
    assert str(base / "media/khong-co.jpg") in text[4]
    assert "1–15" in text[1]


@pytest.mark.parametrize(
    ("seconds", "ok"),
    [(1.0, True), (15, True), ("3.5", True), (0.99, False), (15.5, False), ("abc", False), ("nan", False),
     (True, False), (-2, False)],
)  # fmt: skip
def test_seconds_stay_in_a_sane_range(base: Path, seconds: object, ok: bool) -> None:
    value = {"title": "T", "seconds": seconds, "photos": ["media/hoa-ban-1.jpg"]}
    if ok:
        assert parse_story(value, base).seconds == float(str(seconds))
    else:
        with pytest.raises(StoryInvalid) as caught:
            parse_story(value, base)
        assert _fields(caught.value) == ["story.seconds"]


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ({"title": "T", "photos": []}, "story.photos"),
        ({"title": "T"}, "story.photos"),
        ({"title": "T", "photos": "media/hoa-ban-1.jpg"}, "story.photos"),
        ({"title": "T", "photos": [42]}, "story.photos[0]"),
        ({"title": "T", "photos": ["media/hoa-ban-1.jpg"] * 61}, "story.photos"),
        ({"photos": ["media/hoa-ban-1.jpg"]}, "story.title"),
        ({"title": "x" * 151, "photos": ["media/hoa-ban-1.jpg"]}, "story.title"),
        (
            {"title": "T", "photos": [{"file": "media/hoa-ban-1.jpg", "caption": "c" * 151}]},
            "story.photos[0].caption",
        ),
        ({"title": "T", "photos": ["media"]}, "story.photos[0].file"),
        ({"title": "T", "photos": [{"file": ""}]}, "story.photos[0].file"),
    ],
)
def test_empty_or_malformed_blocks_name_the_field(base: Path, value: dict[str, object], field: str) -> None:
    with pytest.raises(StoryInvalid) as caught:
        parse_story(value, base)
    assert _fields(caught.value) == [field]


def test_not_a_mapping(base: Path) -> None:
    with pytest.raises(StoryInvalid) as caught:
        parse_story(["media/hoa-ban-1.jpg"], base)
    assert _fields(caught.value) == ["story"]


def test_files_need_not_exist_when_the_caller_checks_them(base: Path) -> None:
    story = parse_story(
        {"title": "T", "photos": ["media/later.jpg"], "music": "m.mp3"}, base, check_files=False
    )
    assert story.files() == [
        ("story.photos[0].file", base / "media/later.jpg"),
        ("story.music", base / "m.mp3"),
    ]


def test_the_post_is_named_and_english_is_available(base: Path) -> None:
    with pytest.raises(StoryInvalid) as caught:
        parse_story({"title": "T", "photos": ["media/khong-co.jpg"]}, base)
    named = caught.value.about("le-hoi-hoa-ban")
    assert "le-hoi-hoa-ban" in str(named)
    assert str(named.problems[0]).startswith("[le-hoi-hoa-ban] story.photos[0].file: Không tìm thấy tệp")
    set_language("en")
    assert str(named) == "The “story” block of post le-hoi-hoa-ban has 1 error(s); no video was made:"
    assert str(named.problems[0]).startswith(
        "[le-hoi-hoa-ban] story.photos[0].file: File “media/khong-co.jpg” not found"
    )


# -- the timeline --------------------------------------------------------------------------------


def _story(n: int, seconds: float = 3.5, transition: str = "crossfade") -> Story:
    photos = tuple(StoryPhoto(Path(f"{i}.jpg")) for i in range(n))
    return Story(photos=photos, title="T", seconds=seconds, transition=transition)  # type: ignore[arg-type]


@pytest.mark.parametrize("transition", ["crossfade", "cut"])
@pytest.mark.parametrize(("n", "seconds"), [(1, 3.5), (2, 1.0), (8, 3.5), (8, 3.975), (5, 15.0)])
def test_each_photo_holds_the_screen_for_its_seconds(n: int, seconds: float, transition: str) -> None:
    story = _story(n, seconds, transition)
    tl = timeline(story)
    title = round(story.title_seconds * FPS)
    assert tl.duration == pytest.approx(story.title_seconds + n * seconds, abs=0.5 / FPS)
    # the clips overlap by exactly one transition each, so they add up to the whole
    assert sum(s.frames for s in tl.shots) - tl.fade * n == tl.frames
    assert [s.photo for s in tl.shots] == [None, *range(n)]
    # a transition is centred on the boundary between two segments
    assert tl.boundaries() == pytest.approx(
        [story.title_seconds + i * seconds for i in range(n)], abs=1 / FPS
    )
    for prev, nxt in zip(tl.shots, tl.shots[1:], strict=False):
        assert nxt.start == prev.start + prev.frames - tl.fade
    assert tl.shots[-1].start + tl.shots[-1].frames == tl.frames
    if transition == "cut":
        assert tl.fade == 0
    else:
        assert 0 < tl.fade <= round(CROSSFADE_SECONDS * FPS) and tl.fade % 2 == 0
        assert tl.fade <= min(int(seconds * FPS), title) // 3
