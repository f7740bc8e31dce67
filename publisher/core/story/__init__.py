"""Photo stories: a post's ``story:`` block, validated, and the one timeline every renderer follows.

Pure: no Pillow, no ffmpeg. It reads the values a YAML file gave (``yaml.safe_load`` values, or the
schedule loader's strings: numbers and booleans may come as text) and looks at the file system only
to check that the named files exist.

A ``story:`` block::

    story:
      title: Lễ hội Hoa Ban 2026          # title card; the date and the unit's name are added
      seconds: 3.5                          # per photo, transitions included
      transition: crossfade                 # or cut
      photos:
        - {file: media/hoa-ban-1.jpg, caption: Đoàn rước khai mạc lễ hội}
        - media/hoa-ban-2.jpg               # a photo without a caption
      music: media/nhac-nen.mp3             # optional
      logo: media/logo.png                  # optional
      pan_zoom: true                        # gentle Ken Burns on each photo
      landscape: false                      # 16:9 instead of 9:16 (YouTube/Facebook videos only)
      unit: UBND xã Hạnh Dịch               # optional; the date defaults to the post's day

Every finding names its field (``story.photos[2].file``) and is raised at once in one
:class:`StoryInvalid`, like the schedule loader reports a file.
"""

from publisher.core.story.frames import (
    Shot,
    Timeline,
    timeline,
)
from publisher.core.story.model import (
    CAPTION_MAX_CHARS,
    CROSSFADE_SECONDS,
    DEFAULT_SECONDS,
    FPS,
    MAX_PHOTOS,
    MAX_SECONDS,
    MIN_SECONDS,
    PHOTO_FIELDS,
    STORY_FIELDS,
    TITLE_MAX_CHARS,
    TITLE_SECONDS,
    TRANSITIONS,
    UNIT_MAX_CHARS,
    Story,
    StoryInvalid,
    StoryPhoto,
    StoryProblem,
    Transition,
)
from publisher.core.story.parse import (
    parse_story,
    post_date,
)
from publisher.core.story.stored import (
    STORY_VIDEO_SUFFIX,
    is_story_video,
    story_from_json,
    story_to_json,
    story_video_placeholder,
)

__all__ = [
    "CAPTION_MAX_CHARS",
    "CROSSFADE_SECONDS",
    "DEFAULT_SECONDS",
    "FPS",
    "MAX_PHOTOS",
    "MAX_SECONDS",
    "MIN_SECONDS",
    "PHOTO_FIELDS",
    "STORY_FIELDS",
    "TITLE_MAX_CHARS",
    "TITLE_SECONDS",
    "TRANSITIONS",
    "UNIT_MAX_CHARS",
    "Story",
    "StoryInvalid",
    "StoryPhoto",
    "StoryProblem",
    "Transition",
    "Shot",
    "Timeline",
    "timeline",
    "parse_story",
    "post_date",
    "STORY_VIDEO_SUFFIX",
    "is_story_video",
    "story_from_json",
    "story_to_json",
    "story_video_placeholder",
]
