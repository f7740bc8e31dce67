"""``publisher media``: look at a photo or clip, make one variant, list the presets.

One module per group of subcommands, each registering its own messages: :mod:`.check` (``presets``,
``check``), :mod:`.render` (``render``, ``prepare``), :mod:`.gps` (``strip-gps``), :mod:`.story`
(``story``); :mod:`.shared` holds the progress bar and the hand-over of a made file.

``publisher media prepare POST_ID`` needs the store: it calls
:func:`publisher.actions.media.prepare_delivery` for each delivery, under a :func:`progress_bar`.
"""

from __future__ import annotations

import click

from publisher.cli.common import bi
from publisher.cli.media.check import check_command, presets_command
from publisher.cli.media.gps import strip_gps_command
from publisher.cli.media.render import prepare_command, render_command
from publisher.cli.media.shared import progress_bar
from publisher.cli.media.story import story_command, story_of_post


@click.group(
    "media",
    help=bi("Chuẩn bị ảnh và video cho từng nền tảng.", "Prepare photos and clips for each platform."),
)
def media() -> None:
    pass


for _command in (
    presets_command,
    check_command,
    render_command,
    prepare_command,
    strip_gps_command,
    story_command,
):
    media.add_command(_command)

COMMANDS: list[click.Command] = [media]

__all__ = [
    "COMMANDS",
    "check_command",
    "media",
    "prepare_command",
    "presets_command",
    "progress_bar",
    "render_command",
    "story_command",
    "story_of_post",
    "strip_gps_command",
]
