"""The one timeline every renderer follows: which segment shows on which frame."""

from __future__ import annotations

from dataclasses import dataclass

from publisher.core.story.model import CROSSFADE_SECONDS, FPS, Story


@dataclass(frozen=True)
class Shot:
    """One segment: the title card (``photo`` None) or a photo, in frames of the output.

    ``start`` is the first frame of its clip (its incoming transition included) and ``frames``
    the clip's length (both transitions included).
    """

    photo: int | None
    start: int
    frames: int


@dataclass(frozen=True)
class Timeline:
    """When each segment shows. A photo holds the screen for ``seconds`` (transitions included):
    each crossfade is centred on the boundary, so the total is title + n × seconds either way."""

    shots: tuple[Shot, ...]
    fps: int
    #: frames of one crossfade (0: cuts)
    fade: int
    frames: int

    @property
    def duration(self) -> float:
        return self.frames / self.fps

    @property
    def fade_seconds(self) -> float:
        return self.fade / self.fps

    def seconds(self, frames: int) -> float:
        return frames / self.fps

    def boundaries(self) -> list[float]:
        """Output seconds where one segment gives way to the next (the middle of a crossfade)."""
        return [self.seconds(s.start + self.fade // 2) for s in self.shots[1:]]


def timeline(story: Story, fps: int = FPS) -> Timeline:
    """Frame-exact plan of a story: the renderer builds its filter graph from it, tests check it.

    Boundaries are rounded from the exact times, so the total is within half a frame of
    title + n × seconds however many photos there are.
    """
    n = len(story.photos)
    marks = [max(1, round(story.title_seconds * fps))]
    for i in range(1, n + 1):
        marks.append(max(marks[-1] + 1, round((story.title_seconds + i * story.seconds) * fps)))
    fade = 0
    if story.transition == "crossfade" and n:
        # never more than a third of the shortest segment; even, so that it splits around the boundary
        shortest = min(b - a for a, b in zip([0, *marks], marks, strict=False))
        fade = min(round(CROSSFADE_SECONDS * fps), shortest // 3)
        fade -= fade % 2
    half = fade // 2
    shots = [Shot(None, 0, marks[0] + (half if n else 0))]
    for i in range(n):
        start = marks[i] - half
        end = marks[i + 1] + (half if i < n - 1 else 0)
        shots.append(Shot(i, start, end - start))
    return Timeline(tuple(shots), fps, fade, marks[-1])
