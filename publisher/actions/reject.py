"""``reject``: an approver sends a post back to its officer, with a comment saying why.

1. The one who rejects is a known, enabled approver or admin (the same check as ``approve``).
2. A comment is required: the officer must learn what to change.
3. What waited for approval goes back to ``draft`` and is not sent; the comment is kept in the
   audit trail. Once the officer edits the post, it awaits approval again (see
   :mod:`publisher.store.rejection`).
"""

from __future__ import annotations

from typing import Any

from publisher.actions.users import acting_user
from publisher.core.people import APPROVER_ROLES
from publisher.errors import UserError
from publisher.i18n import msg, register
from publisher.settings import Settings
from publisher.store.rejection import Rejected, Rejections

register(
    {
        "reject.comment_required": (
            "Hãy ghi lý do trả lại bài, để người soạn biết cần sửa gì.",
            "Write why the post is sent back, so that its author knows what to change.",
        ),
        "reject.comment_too_long": (
            "Lý do quá dài (tối đa {max} ký tự).",
            "The comment is too long (at most {max} characters).",
        ),
    }
)

#: the longest comment kept in the audit trail
COMMENT_MAX = 2000


def clean_comment(comment: str) -> str:
    """The comment as recorded, or :class:`UserError` when it is empty or too long."""
    text = "\n".join(line.rstrip() for line in comment.replace("\r\n", "\n").strip().split("\n"))
    if not text:
        raise UserError(msg("reject.comment_required"))
    if len(text) > COMMENT_MAX:
        raise UserError(msg("reject.comment_too_long", max=COMMENT_MAX))
    return text


def reject_post(store: Any, settings: Settings, key: str, comment: str, by: str | None = None) -> Rejected:
    """Send post ``key`` back to its officer as ``by`` (else ``PUBLISHER_USER``), saying ``comment``."""
    text = clean_comment(comment)
    user = acting_user(store, settings, by, roles=APPROVER_ROLES)
    return Rejections(store.db).reject(key, user.name, text)


__all__ = ["COMMENT_MAX", "clean_comment", "reject_post"]
