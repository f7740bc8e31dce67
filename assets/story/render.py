"""A photo story from its ``story:`` block to a validated, cached MP4: the door the CLI and workers use.

``render_story`` checks what can be checked before decoding anything (length for the preset,
glyphs, music, logo), prepares every photo (:mod:`assets.story.photos`), draws the title card and
captions (:mod:`assets.story.text`), runs the one ffmpeg command (:mod:`assets.story.graph`,
through :func:`assets.video.run_ffmpeg`: progress from ``-progress pipe:1``, the child always
reaped), validates the result with ffprobe against the preset and keeps it in the prepared-media
cache like any clip. Bad input raises :class:`StoryInvalid` naming every field at fault at once.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from assets.cache import MediaCache, variant_key
from assets.errors import MediaError, RenderCancelled
from assets.images import logo_layer
from assets.prepare import PreparedMedia, _msg_to_json, _prepared
from assets.presets import PIPELINE_VERSION, VideoPreset, get_preset
from assets.probe import probe_video, run_ffprobe, video_problems
from assets.story.graph import Lane, StoryPlan, build_story_command, caption_list, lane_shots, music_gain
from assets.story.photos import PhotoFrame, prepare_photo, title_background
from assets.story.text import Fonts, caption_band, missing_glyphs, title_layer
from assets.video import SIZE_HEADROOM, UNCAPPED_KBPS, run_ffmpeg
from publisher.core.story import FPS, Story, StoryInvalid, StoryProblem, Timeline, timeline
from publisher.i18n import Msg, msg, register
from publisher.settings import MediaSettings

register(
    {
        "story.made": (
            "Dựng video {w}×{h} dài {seconds} giây từ {n} ảnh (tiêu đề {title} giây, {transition}).",
            "Made a {w}×{h} video of {seconds} s from {n} photo(s) (title card {title} s, {transition}).",
        ),
        "story.transition.crossfade": ("chuyển cảnh mờ dần", "crossfades"),
        "story.transition.cut": ("chuyển cảnh cắt thẳng", "straight cuts"),
        "story.music": (
            "Nhạc nền {name}: cắt còn {seconds} giây, chuẩn hoá âm lượng, nhỏ dần ở cuối.",
            "Music {name}: trimmed to {seconds} s, loudness normalised, faded out at the end.",
        ),
        "story.silent": ("Không có nhạc nền: video không có tiếng.", "No music: the video has no sound."),
        "story.rotated": (
            "Xoay {n} ảnh theo thẻ hướng EXIF.",
            "Turned {n} photo(s) as their EXIF orientation says.",
        ),
        "story.stripped": (
            "Siêu dữ liệu của ảnh (EXIF{gps}) không đi vào video.",
            "The photos' metadata (EXIF{gps}) does not reach the video.",
        ),
        "story.logo": ("Đặt logo ở góc trên bên phải.", "Put the logo in the top-right corner."),
        "story.photo_unreadable": (
            "Không đọc được ảnh {name}: tệp hỏng hoặc không phải ảnh.",
            "Cannot read the photo {name}: the file is damaged or not a photo.",
        ),
        "story.not_audio": (
            "Tệp {name} không phải tệp âm thanh đọc được (mp3, m4a, wav…).",
            "{name} is not a readable audio file (mp3, m4a, wav…).",
        ),
        "story.logo_unreadable": (
            "Không đọc được logo {name}: cần một ảnh PNG hoặc JPEG.",
            "Cannot read the logo {name}: a PNG or JPEG picture is needed.",
        ),
        "story.file_gone": ("Không còn tệp {name}.", "The file {name} is gone."),
        "story.no_glyph": (
            "Phông chữ {font} không có ký tự {chars}: hãy bỏ các ký tự đó (ví dụ biểu tượng cảm xúc) "
            "hoặc chọn phông khác (PUBLISHER_MEDIA__FONT_PATH).",
            "The font {font} has no glyph for {chars}: remove those characters (emoji, for example) "
            "or choose another font (PUBLISHER_MEDIA__FONT_PATH).",
        ),
        "story.landscape_vertical": (
            "Mẫu {preset} chỉ nhận video dọc 9:16; bỏ “landscape” hoặc chọn youtube-video/facebook-video.",
            "Preset {preset} takes vertical 9:16 video only; drop “landscape” or choose "
            "youtube-video/facebook-video.",
        ),
        "story.too_long_for": (
            "Video sẽ dài {seconds} giây, {preset} cho tối đa {max} giây: bớt ảnh hoặc giảm “seconds”.",
            "The video would be {seconds} s long; {preset} allows at most {max} s: use fewer photos or "
            "lower “seconds”.",
        ),
        "story.too_short_for": (
            "Video sẽ dài {seconds} giây, {preset} cần ít nhất {min} giây: thêm ảnh hoặc tăng “seconds”.",
            "The video would be {seconds} s long; {preset} needs at least {min} s: add photos or raise "
            "“seconds”.",
        ),
    }
)

Progress = Callable[[float], None]

#: bump when an unchanged story renders differently, so cached stories are made again
STORY_VERSION = 1


def _caption_bands(
    story: Story, frame: tuple[int, int], fonts: Fonts, tl: Timeline, work: Path
) -> tuple[list[Path], int]:
    """One band per shot (empty for the title and photos without caption), all one height; and their top row."""
    bands: dict[int, tuple[Image.Image, int]] = {
        i: caption_band(p.caption, frame, fonts) for i, p in enumerate(story.photos) if p.caption
    }
    top = min(band_top for _band, band_top in bands.values())
    height = max(band_top + band.height for band, band_top in bands.values()) - top
    files = []
    for k, shot in enumerate(tl.shots):
        layer = Image.new("RGBA", (frame[0], height), (0, 0, 0, 0))
        if shot.photo is not None and shot.photo in bands:
            band, band_top = bands[shot.photo]
            layer.paste(band, (0, band_top - top))
        files.append(work / f"caption-{k:03d}.png")
        layer.save(files[-1], compress_level=1)
    return files, top


def _lanes(tl: Timeline, pictures: list[Path], captions: list[Path] | None, work: Path) -> list[Lane]:
    """Each lane's picture sequence (links to the shots' pictures) and caption list."""
    lanes = []
    for j, shots in enumerate(lane_shots(tl)):
        for i, k in enumerate(shots):
            link = work / f"lane{j}-{i:03d}.jpg"
            try:
                os.link(pictures[k], link)
            except OSError:  # a file system without hard links
                shutil.copyfile(pictures[k], link)
        listed = None
        if captions is not None:
            listed = caption_list(tl, shots, [captions[k] for k in shots], work / f"captions-{j}.txt")
        lanes.append(Lane(shots, str(work / f"lane{j}-%03d.jpg"), listed))
    return lanes


def story_frame(story: Story, preset: VideoPreset) -> tuple[int, int]:
    """The output frame: the preset's 9:16 frame, or its box turned to the story's shape."""
    if preset.layout == "vertical-blur":
        if story.landscape:
            raise StoryInvalid(
                [StoryProblem("story.landscape", msg("story.landscape_vertical", preset=preset.name))]
            )
        return preset.width, preset.height
    long, short = max(preset.width, preset.height), min(preset.width, preset.height)
    return (long, short) if story.landscape else (short, long)


def _bitrate_cap(preset: VideoPreset, duration: float, with_audio: bool) -> int | None:
    if not preset.max_bytes:
        return None
    total = preset.max_bytes * 8 / 1000 / max(duration, 0.1) * SIZE_HEADROOM
    cap = int(total - (preset.audio_kbps if with_audio else 0))
    return None if cap > UNCAPPED_KBPS else max(cap, 100)


def _check_music(path: Path, ffprobe: str) -> Msg | None:
    if not path.is_file():
        return msg("story.file_gone", name=path.name)
    try:
        data = run_ffprobe(path, ffprobe)
    except MediaError:
        return msg("story.not_audio", name=path.name)
    audio = [s for s in data.get("streams") or [] if s.get("codec_type") == "audio"]
    try:
        duration = float((data.get("format") or {}).get("duration") or 0)
    except ValueError:
        duration = 0.0
    if not audio or duration <= 0:
        return msg("story.not_audio", name=path.name)
    return None


def _check(
    story: Story, preset: VideoPreset, tl: Timeline, fonts: Fonts, media: MediaSettings
) -> list[StoryProblem]:
    """What can be known wrong before any photo is decoded: lengths, glyphs, music, logo."""
    problems: list[StoryProblem] = []
    seconds = f"{tl.duration:.1f}"
    if preset.max_duration and tl.duration > preset.max_duration:
        problems.append(
            StoryProblem(
                "story.photos",
                msg(
                    "story.too_long_for", seconds=seconds, preset=preset.name, max=f"{preset.max_duration:g}"
                ),
            )
        )
    if preset.min_duration and tl.duration < preset.min_duration:
        problems.append(
            StoryProblem(
                "story.seconds",
                msg(
                    "story.too_short_for", seconds=seconds, preset=preset.name, min=f"{preset.min_duration:g}"
                ),
            )
        )
    texts = [("story.title", story.title, fonts.bold)]
    if story.unit:
        texts.append(("story.unit", story.unit.upper(), fonts.regular))
    texts += [
        (f"story.photos[{i}].caption", p.caption, fonts.bold) for i, p in enumerate(story.photos) if p.caption
    ]
    for fld, text, font in texts:
        missing = missing_glyphs(font, text)
        if missing:
            problems.append(StoryProblem(fld, msg("story.no_glyph", font=font.name, chars=" ".join(missing))))
    if story.music is not None:
        bad = _check_music(story.music, media.ffprobe)
        if bad is not None:
            problems.append(StoryProblem("story.music", bad))
    if story.logo is not None:
        try:
            with Image.open(story.logo) as im:
                im.load()
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            problems.append(StoryProblem("story.logo", msg("story.logo_unreadable", name=story.logo.name)))
    return problems


@dataclass
class StoryResult:
    plan: StoryPlan
    notes: list[Msg]


def make_story(
    story: Story,
    preset: VideoPreset,
    out: Path,
    *,
    media: MediaSettings | None = None,
    post: str | None = None,
    on_progress: Progress | None = None,
    cancel: threading.Event | None = None,
    timeout: float | None = None,
    threads: int = 2,
    workdir: Path | None = None,
) -> StoryResult:
    """Render ``story`` to ``out`` (MP4) for ``preset``, without cache or validation.

    Bad input (a missing or damaged photo, music that is not audio, a glyph the font lacks)
    raises :class:`StoryInvalid` naming every field at fault, before ffmpeg starts.
    """
    media = media or MediaSettings()
    fonts = Fonts.of(media)
    frame = story_frame(story, preset)
    tl = timeline(story, FPS)
    # every photo is opened even when something else is wrong, so that one run names every fault
    problems = _check(story, preset, tl, fonts, media)
    prep_share = 0.1  # of the progress bar, for the photos; ffmpeg has the rest

    shown = [0.0]

    def report(fraction: float) -> None:
        if on_progress and fraction >= shown[0]:  # never backwards
            shown[0] = fraction
            on_progress(fraction)

    with tempfile.TemporaryDirectory(prefix="publisher-story-", dir=workdir) as tmp:
        work = Path(tmp)
        photos: list[PhotoFrame] = []
        for i, photo in enumerate(story.photos):
            if cancel is not None and cancel.is_set():
                raise RenderCancelled(story.title)
            fld = f"story.photos[{i}].file"
            if not photo.file.is_file():
                problems.append(StoryProblem(fld, msg("story.file_gone", name=photo.file.name)))
                continue
            try:
                # frame-000 is the title card, made below; the photos follow in their order
                photos.append(
                    prepare_photo(
                        photo.file, frame, work / f"frame-{i + 1:03d}.jpg", max_pixels=media.max_pixels
                    )
                )
            except MediaError as exc:
                if exc.code == "story.photo_too_big" and isinstance(exc.message, Msg):
                    problems.append(StoryProblem(fld, exc.message))
                else:
                    problems.append(StoryProblem(fld, msg("story.photo_unreadable", name=photo.file.name)))
            report(prep_share * (i + 1) / len(story.photos))
        if problems:
            raise StoryInvalid(problems, post)
        card = title_background(photos[0].path, frame).convert("RGBA")
        card = Image.alpha_composite(card, title_layer(story, frame, fonts)).convert("RGB")
        # the same size as the photos (one image sequence); zoompan brings it back to the frame
        card.resize(photos[0].size, Image.Resampling.BICUBIC).save(
            work / "frame-000.jpg", "JPEG", quality=95, subsampling=0
        )
        pictures = [work / "frame-000.jpg"] + [p.path for p in photos]
        bands, top = (
            _caption_bands(story, frame, fonts, tl, work)
            if any(p.caption for p in story.photos)
            else (None, 0)
        )
        plan = StoryPlan(
            frame,
            tl,
            _lanes(tl, pictures, bands, work),
            [(0.5, 0.5)] + [p.focus for p in photos],
            caption_top=top,
            music=story.music,
            pan_zoom=story.pan_zoom,
        )
        notes = [
            msg(
                "story.made",
                w=frame[0],
                h=frame[1],
                seconds=f"{tl.duration:g}",
                n=len(photos),
                title=f"{story.title_seconds:g}",
                transition=msg(f"story.transition.{story.transition}"),
            )
        ]
        turned = sum(1 for p in photos if p.orientation != 1)
        if turned:
            notes.append(msg("story.rotated", n=turned))
        notes.append(msg("story.stripped", gps=msg("images.gps") if any(p.had_gps for p in photos) else ""))
        if story.logo:
            layer = logo_layer(story.logo, frame)
            bbox = layer.getbbox() or (0, 0, 1, 1)
            layer.crop(bbox).save(work / "logo.png")
            plan.logo = (work / "logo.png", bbox[0], bbox[1])
            notes.append(msg("story.logo"))
        if story.music:
            notes.append(msg("story.music", name=story.music.name, seconds=f"{tl.duration:g}"))
        else:
            notes.append(msg("story.silent"))
        if story.music:
            plan.music_gain = music_gain(story.music, tl.duration, ffmpeg=media.ffmpeg)
        plan.video_kbps_cap = _bitrate_cap(preset, tl.duration, story.music is not None)
        args = build_story_command(plan, out, preset, ffmpeg=media.ffmpeg, threads=threads)

        def ffmpeg_progress(fraction: float) -> None:
            report(prep_share + (1 - prep_share) * fraction)

        run_ffmpeg(
            args,
            name=post or story.title,
            preset=preset.name,
            duration=tl.duration,
            on_progress=ffmpeg_progress,
            cancel=cancel,
            timeout=timeout,
        )
    return StoryResult(plan, notes)


def story_digest(story: Story) -> str:
    """SHA-256 of what a story is made of: its settings and the bytes of every file it reads."""
    return variant_key("story", None, story, STORY_VERSION)


def render_story(
    story: Story,
    preset: str | VideoPreset,
    cache_dir: Path | str,
    on_progress: Progress | None = None,
    *,
    media: MediaSettings | None = None,
    post: str | None = None,
    cancel: threading.Event | None = None,
    timeout: float | None = 3600.0,
    threads: int = 2,
) -> PreparedMedia:
    """Make (or find in the cache) the story's video for ``preset``, validated like any clip."""
    media = media or MediaSettings()
    chosen = get_preset(preset) if isinstance(preset, str) else preset
    if not isinstance(chosen, VideoPreset):
        raise MediaError("media.wrong_kind", name=story.title, preset=chosen.name,
                         expected=msg("media.kind.image"), actual=msg("media.kind.video"))  # fmt: skip
    for fld, path in story.files():
        if not path.is_file():
            raise StoryInvalid([StoryProblem(fld, msg("story.file_gone", name=path.name))], post)
    digest = story_digest(story)
    fonts = Fonts.of(media)
    key = variant_key(digest, chosen, {"fonts": fonts, "story": STORY_VERSION}, PIPELINE_VERSION)
    cache = MediaCache(Path(cache_dir), media.cache_max_mb * 1_000_000)
    hit = cache.get(key)
    if hit is not None:
        if on_progress:
            on_progress(1.0)
        return _prepared(hit.path, chosen, hit.meta, digest, cached=True)
    root = Path(cache_dir)
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".work-", dir=root) as tmp:
        produced = Path(tmp) / "out.mp4"
        result = make_story(
            story, chosen, produced, media=media, post=post, on_progress=on_progress,
            cancel=cancel, timeout=timeout, threads=threads, workdir=Path(tmp),
        )  # fmt: skip
        info = probe_video(produced, media.ffprobe)
        problems = video_problems(info, chosen, as_result=True)
        if story.music is None:  # silent by design; preparing it for a platform adds a silent track
            problems = [p for p in problems if p.code != "no_audio"]
        if problems:
            raise MediaError(
                "media.result_invalid",
                preset=chosen.name,
                problems="; ".join(str(p.message) for p in problems),
            )
        meta = {
            "kind": "video",
            "width": info.width,
            "height": info.height,
            "duration": info.duration,
            "notes": [_msg_to_json(n) for n in result.notes],
            "preset": chosen.name,
            "source": f"story {digest[:16]}",
        }
        entry = cache.put(key, produced, meta)
    if on_progress:
        on_progress(1.0)
    return _prepared(entry.path, chosen, entry.meta, digest, cached=False)


def with_defaults(story: Story, media: MediaSettings) -> Story:
    """The story with the office's logo (``PUBLISHER_MEDIA__LOGO_PATH``) when it names none."""
    if story.logo is None and media.logo_path is not None and Path(media.logo_path).is_file():
        return dataclasses.replace(story, logo=Path(media.logo_path))
    return story
