"""Photo stories: the title card and the event's photos as one short vertical video.

- :mod:`assets.story.photos`: each photo upright, cropped around its centre of interest, no metadata
- :mod:`assets.story.text`: the title card's layer, the caption bands, the missing-glyph check
- :mod:`assets.story.graph`: the one ffmpeg filter graph (zoompan, overlay, xfade) and the music's gain
- :mod:`assets.story.render`: ``render_story(story, preset, cache_dir)``, validated and cached like any clip

Why not moviepy: the same 30 s story from 8 photos of 12 MP took 214 s and 859 MiB through moviepy
2.x against 47 s and 448 MiB here, on the same machine in the same run (bench/story.py --moviepy,
bench/RESULTS.md "Photo stories"), so everything is one ffmpeg filter graph and moviepy is not used.
"""

from assets.story.graph import LOUDNESS, TRUE_PEAK, X264_PARAMS, ZOOM, build_story_command, music_gain
from assets.story.photos import HEADROOM, PhotoFrame, interest_point, prepare_photo, title_background
from assets.story.render import (
    STORY_VERSION,
    make_story,
    render_story,
    story_digest,
    story_frame,
    with_defaults,
)
from assets.story.text import (
    CAPTION_BOTTOM_LANDSCAPE,
    CAPTION_BOTTOM_VERTICAL,
    CAPTION_MIN,
    Fonts,
    caption_band,
    caption_layout,
    missing_glyphs,
    title_layer,
)

__all__ = [
    "CAPTION_BOTTOM_LANDSCAPE",
    "CAPTION_BOTTOM_VERTICAL",
    "CAPTION_MIN",
    "HEADROOM",
    "LOUDNESS",
    "STORY_VERSION",
    "TRUE_PEAK",
    "X264_PARAMS",
    "ZOOM",
    "Fonts",
    "PhotoFrame",
    "build_story_command",
    "caption_band",
    "caption_layout",
    "interest_point",
    "make_story",
    "missing_glyphs",
    "music_gain",
    "prepare_photo",
    "render_story",
    "story_digest",
    "story_frame",
    "title_background",
    "title_layer",
    "with_defaults",
]
