"""Media prepared per delivery: the right preset per platform, recorded, handed to adapters, cached."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image

from publisher.actions.media import plan_media, prepare_delivery
from publisher.core.models import Platform, PostSpec, Target
from publisher.store import Store
from tests.assets.media_factory import clip, photo
from tests.conftest import need_ffmpeg

need_ffmpeg(module=True)

FB = Target(Platform.FACEBOOK, "ubnd-hanh-dich")
YT = Target(Platform.YOUTUBE, "hanh-dich-tv")
SB = Target(Platform.SANDBOX, "demo")


def setup(store: Store, tmp_path: Path, video: Path, image: Path) -> dict[str, int]:
    for tgt in (FB, YT, SB):
        store.add_account(tgt, "t", exist_ok=True)
    spec = PostSpec(
        key="bai-video",
        title="Tiêu đề",
        text="Nội dung",
        due_at=datetime.now(UTC) + timedelta(days=1),
        timezone="Asia/Ho_Chi_Minh",
        targets=(FB, YT, SB),
        images=(image,),
        video=video,
        options={"banner": "Kỷ niệm 80 năm Quốc khánh"},
    )
    store.queue([spec], "t")
    return {r.platform: r.id for r in store.deliveries()}


def test_each_platform_gets_its_variants_and_adapters_get_them(store: Store, tmp_path: Path) -> None:
    video = clip(tmp_path / "ngang.mp4", seconds=4, size="640x360")
    image = photo(tmp_path / "anh.jpg", size=(800, 600))
    ids = setup(store, tmp_path, video, image)
    settings = store.settings

    assert [j.preset for j in plan_media(store.delivery(ids["facebook"]), settings).jobs] == [
        "facebook-photo",
        "facebook-video",
    ]
    assert [j.preset for j in plan_media(store.delivery(ids["youtube"]), settings).jobs] == [
        "youtube-video",
        "youtube-thumbnail",
    ]
    assert plan_media(store.delivery(ids["sandbox"]), settings).jobs == []

    progress: list[float] = []
    report = prepare_delivery(store, ids["facebook"], settings, lambda f, _label: progress.append(f))
    assert report.ok and progress[-1] == 1.0
    fb = store.delivery(ids["facebook"])
    assert fb.images[0] != image and fb.images[0].exists()
    with Image.open(fb.images[0]) as im:
        assert not im.getexif()  # metadata (GPS) stripped
    assert fb.video is not None and fb.video.suffix == ".mp4" and fb.video != video
    assert store.delivery(ids["facebook"], prepared=False).video == video
    assert next(r for r in store.deliveries() if r.id == ids["facebook"]).progress == 100

    yt = prepare_delivery(store, ids["youtube"], settings)
    assert yt.ok
    thumb = Path(store.delivery(ids["youtube"]).options["youtube"]["thumbnail"])
    with Image.open(thumb) as im:
        assert im.size == (1280, 720)

    # a second preparation renders nothing: every variant comes from the cache
    again = prepare_delivery(store, ids["facebook"], settings)
    assert again.media == report.media


def test_upright_clip_becomes_a_reel(store: Store, tmp_path: Path) -> None:
    video = clip(tmp_path / "doc.mp4", seconds=4, size="360x640")
    ids = setup(store, tmp_path, video, photo(tmp_path / "anh.jpg"))
    jobs = plan_media(store.delivery(ids["facebook"]), store.settings).jobs
    assert [j.preset for j in jobs] == ["facebook-photo", "facebook-reel"]
    assert [j.preset for j in plan_media(store.delivery(ids["youtube"]), store.settings).jobs][
        0
    ] == "youtube-short"


def test_a_broken_clip_fails_that_delivery_with_a_reason(store: Store, tmp_path: Path) -> None:
    broken = tmp_path / "hong.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42 this is not a video")
    ids = setup(store, tmp_path, broken, photo(tmp_path / "anh.jpg"))
    report = prepare_delivery(store, ids["facebook"], store.settings)
    assert not report.ok and report.error and "hong.mp4" in report.error
    row = next(r for r in store.deliveries() if r.id == ids["facebook"])
    assert row.media_state == "failed" and "hong.mp4" in (row.last_reason or "")
    assert store.delivery(ids["facebook"]).video == broken  # nothing half-prepared is handed on


def test_editing_the_post_forgets_prepared_media(store: Store, tmp_path: Path) -> None:
    video = clip(tmp_path / "ngang.mp4", seconds=3, size="640x360")
    image = photo(tmp_path / "anh.jpg")
    ids = setup(store, tmp_path, video, image)
    assert prepare_delivery(store, ids["facebook"], store.settings).ok
    spec = PostSpec(
        key="bai-video",
        title="Tiêu đề mới",
        text="Nội dung",
        due_at=datetime.now(UTC) + timedelta(days=1),
        timezone="Asia/Ho_Chi_Minh",
        targets=(FB, YT, SB),
        images=(image,),
        video=video,
    )
    store.queue([spec], "t")
    assert store.delivery(ids["facebook"]).video == video
    assert next(r for r in store.deliveries() if r.id == ids["facebook"]).media_state is None


# -- a photo story is the post's clip (issue 17) ---------------------------------------------------


def queue_story(store: Store, tmp_path: Path, extra: str = "") -> dict[str, int]:
    from publisher.core.schedule import Context, load_schedule

    (tmp_path / "media").mkdir(exist_ok=True)
    photo(tmp_path / "media" / "anh.jpg", size=(320, 240))
    sched = tmp_path / "lich.yaml"
    sched.write_text(
        f"""posts:
  - id: le-hoi
    at: 2030-03-20 07:00
    title: Lễ hội Hoa Ban
    text: Nội dung
    targets: [facebook/ubnd-hanh-dich, sandbox/demo]
    story:
      seconds: 1
      photos: [media/anh.jpg]
{extra}""",
        encoding="utf-8",
    )
    for tgt in (FB, SB):
        store.add_account(tgt, "t", exist_ok=True)
    store.queue(load_schedule(sched, Context(now=datetime.now(UTC))).posts, "t")
    return {r.platform: r.id for r in store.deliveries()}


def test_a_story_is_rendered_and_recorded_as_the_video_of_facebook_and_sandbox(
    store: Store, tmp_path: Path
) -> None:
    from assets.probe import probe_video
    from publisher.actions.media import needs_preparation

    ids = queue_story(store, tmp_path)
    settings = store.settings
    placeholder = store.delivery(ids["facebook"], prepared=False).video
    assert placeholder is not None and not placeholder.exists()
    assert needs_preparation(Platform.SANDBOX, (), placeholder)  # never sent before it is made
    assert [j.preset for j in plan_media(store.delivery(ids["facebook"]), settings).jobs] == ["facebook-reel"]
    assert [j.preset for j in plan_media(store.delivery(ids["sandbox"]), settings).jobs] == ["facebook-reel"]

    progress: list[float] = []
    report = prepare_delivery(store, ids["facebook"], settings, lambda f, _label: progress.append(f))
    assert report.ok, report.error
    assert progress[-1] == 1.0 and any(0 < f < 1 for f in progress)  # progress while it renders
    fb = store.delivery(ids["facebook"]).video
    assert fb is not None and fb.suffix == ".mp4" and fb.is_relative_to(settings.cache_dir)
    info = probe_video(fb)
    assert (info.width, info.height) == (1080, 1920) and abs(info.duration - 4.0) <= 1 / 30
    assert prepare_delivery(store, ids["sandbox"], settings).ok
    assert store.delivery(ids["sandbox"]).video == fb  # the same story, from the cache


def test_a_story_whose_photo_went_bad_fails_that_delivery_naming_the_field(
    store: Store, tmp_path: Path
) -> None:
    from publisher.store.digest import spec_hash

    ids = queue_story(store, tmp_path)
    before = spec_hash(store.post_spec("le-hoi"))
    (tmp_path / "media" / "anh.jpg").write_bytes(b"\xff\xd8\xff broken")
    assert spec_hash(store.post_spec("le-hoi")) != before  # the approval covers the story's photo bytes
    report = prepare_delivery(store, ids["facebook"], store.settings)
    assert not report.ok and report.error and "story.photos[0].file" in report.error, report.error
