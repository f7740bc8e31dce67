"""The compose form: what an officer types, read into the very post a schedule file describes.

The fields (title, text, link, targets, date, time, grace, campaign, draft, photos, video, story,
story_title; ``id`` to choose a new post's id; on an edit ``keep_photos``, ``keep_video`` and
``story_caption_<n>``, ``n`` being the place of a kept photo in the post's list) are written out
as a one-post schedule document and read by the schedule loader with the context ``publisher
queue`` uses (:func:`publisher.actions.queue.schedule_context`): the same rules (NFC, refused
characters, the time and its late window, known targets, photos opened and the clip probed, the
``story:`` block) and the same messages, each placed on its form field. Platform limits are left to
the pre-publish review (:func:`publisher.actions.review.findings_for`), which the page shows
beside the fields: a post over a limit is built, its block finding shown, and nothing saved.

Targets are accounts the signed-in user sees (another unit's is a 404), all of one unit: the
post's. Photos and the clip come as upload ids (:mod:`publisher.web.uploads`), looked at where the
upload left them while the form is checked or previewed, moved under the post's media folder when
it is saved through :func:`publisher.actions.queue.queue_posts`, as ``publisher queue`` saves.
"""

from __future__ import annotations

from publisher.web.forms.build import Built, build, draft_spec, quick_spec, save
from publisher.web.forms.fields import ComposeForm, Existing, existing_post, form_of, slug, zone_of

__all__ = [
    "Built",
    "ComposeForm",
    "Existing",
    "build",
    "draft_spec",
    "existing_post",
    "form_of",
    "quick_spec",
    "save",
    "slug",
    "zone_of",
]
