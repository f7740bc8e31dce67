"""Read models: listings of deliveries, a post's detail and history, a delivery as publishing sees it.

Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Row, func, or_, select

from publisher.core.models import Delivery, PostSpec, Target
from publisher.core.states import State
from publisher.errors import NotFound
from publisher.i18n import msg
from publisher.store import schema as s
from publisher.store.audit import Repository
from publisher.store.deliveries import resolve


def post_spec_in(conn: Connection, post_id: int) -> tuple[Row[Any], PostSpec]:
    """A post's row and the post as its schedule file described it, read in ``conn``."""
    p = conn.execute(select(s.posts).where(s.posts.c.id == post_id)).one()
    targets = conn.execute(
        select(s.accounts.c.platform, s.accounts.c.name)
        .join(s.deliveries, s.deliveries.c.account_id == s.accounts.c.id)
        .where(s.deliveries.c.post_id == p.id, s.deliveries.c.state != State.CANCELLED.value)
        .order_by(s.deliveries.c.id)
    ).all()
    return p, PostSpec(
        key=p.key,
        title=p.title,
        text=p.text,
        due_at=p.due_at,
        timezone=p.timezone,
        targets=tuple(Target.parse(f"{t.platform}/{t.name}") for t in targets),
        images=tuple(Path(i) for i in p.images or []),
        video=Path(p.video) if p.video else None,
        campaign=p.campaign,
        author=p.author,
        link=p.link,
        grace_hours=p.grace_seconds / 3600,
        draft=p.draft,
        options=dict(p.options or {}),
        source_file=p.source_file,
        source_line=p.source_line,
    )


class ReadRepo(Repository):
    """What the CLI, reports and publishing read."""

    def deliveries(
        self,
        states: Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        account: Target | None = None,
        limit: int | None = None,
    ) -> list[Row[Any]]:
        q = (
            select(
                s.deliveries,
                s.posts.c.key,
                s.posts.c.title,
                s.posts.c.timezone,
                s.posts.c.campaign,
                s.posts.c.approved_by,
                s.accounts.c.platform,
                s.accounts.c.name,
            )
            .join(s.posts, s.posts.c.id == s.deliveries.c.post_id)
            .join(s.accounts, s.accounts.c.id == s.deliveries.c.account_id)
            .order_by(s.deliveries.c.due_at, s.posts.c.key, s.accounts.c.platform, s.accounts.c.name)
        )
        if states:
            q = q.where(s.deliveries.c.state.in_(list(states)))
        if since:
            q = q.where(s.deliveries.c.due_at >= since)
        if until:
            q = q.where(s.deliveries.c.due_at <= until)
        if account:
            q = q.where(s.accounts.c.platform == account.platform.value, s.accounts.c.name == account.name)
        if limit:
            q = q.limit(limit)
        with self.db.read() as conn:
            return list(conn.execute(q))

    def post_detail(self, ref: str) -> dict[str, Any]:
        with self.db.read() as conn:
            rows = resolve(conn, ref)
            post = conn.execute(select(s.posts).where(s.posts.c.id == rows[0].post_id)).one()
            ids = [r.id for r in rows]
            atts = conn.execute(
                select(s.attempts)
                .where(s.attempts.c.delivery_id.in_(ids))
                .order_by(s.attempts.c.started_at, s.attempts.c.id)
            ).all()
            trail = conn.execute(
                select(s.audit)
                .where(or_(s.audit.c.post_id == post.id, s.audit.c.delivery_id.in_(ids)))
                .order_by(s.audit.c.at, s.audit.c.id)
            ).all()
        return {"post": post, "deliveries": rows, "attempts": atts, "audit": trail}

    def post_spec(self, ref: str) -> PostSpec:
        """The post behind a reference, as the schedule file described it (for re-running checks)."""
        with self.db.read() as conn:
            rows = resolve(conn, ref)
            return post_spec_in(conn, int(rows[0].post_id))[1]

    def delivery(self, delivery_id: int, prepared: bool = True) -> Delivery:
        """Load one delivery as the publishing code sees it.

        With ``prepared`` (the default), media prepared for this platform and for this very content
        replace the originals (see :mod:`publisher.actions.media`).
        """
        return self.delivery_with_spec(delivery_id, prepared, with_spec=False)[0]

    def delivery_with_spec(
        self, delivery_id: int, prepared: bool = True, with_spec: bool = True
    ) -> tuple[Delivery, PostSpec | None]:
        """The delivery and, in the same read, its post as written (for the checks before sending)."""
        P = s.posts
        last = (
            select(func.max(s.attempts.c.started_at))
            .where(s.attempts.c.delivery_id == s.deliveries.c.id)
            .scalar_subquery()
            .label("last_attempt_at")
        )
        with self.db.read() as conn:
            r = conn.execute(
                select(
                    s.deliveries,
                    P.c.key,
                    P.c.title,
                    P.c.text,
                    P.c.images,
                    P.c.video,
                    P.c.link,
                    P.c.content_hash,
                    P.c.options,
                    P.c.campaign,
                    P.c.author,
                    P.c.timezone,
                    P.c.due_at.label("post_due_at"),
                    P.c.grace_seconds,
                    P.c.draft,
                    P.c.source_file,
                    P.c.source_line,
                    s.accounts.c.platform,
                    s.accounts.c.name,
                    last,
                )
                .join(P, P.c.id == s.deliveries.c.post_id)
                .join(s.accounts, s.accounts.c.id == s.deliveries.c.account_id)
                .where(s.deliveries.c.id == delivery_id)
            ).first()
            if r is None:
                raise NotFound(msg("store.no_post", ref=f"#{delivery_id}"))
            targets = (
                conn.execute(
                    select(s.accounts.c.platform, s.accounts.c.name)
                    .join(s.deliveries, s.deliveries.c.account_id == s.accounts.c.id)
                    .where(s.deliveries.c.post_id == r.post_id, s.deliveries.c.state != State.CANCELLED.value)
                    .order_by(s.deliveries.c.id)
                ).all()
                if with_spec
                else []
            )
        originals = tuple(Path(p) for p in r.images or [])
        original_video = Path(r.video) if r.video else None
        images, video = originals, original_video
        options = dict(r.options or {})
        media = r.media if prepared and r.media_state == "ready" else None
        if media and media.get("hash") == r.content_hash:
            if "images" in media:
                images = tuple(Path(p) for p in media["images"])
            if media.get("video"):
                video = Path(media["video"])
            if media.get("thumbnail"):
                section = dict(options.get(r.platform) or {})
                section.setdefault("thumbnail", media["thumbnail"])
                options[r.platform] = section
        delivery = Delivery(
            id=r.id,
            post_id=r.post_id,
            post_key=r.key,
            target=Target.parse(f"{r.platform}/{r.name}"),
            state=State(r.state),
            due_at=r.due_at,
            title=r.title,
            text=r.text,
            images=images,
            video=video,
            link=r.link,
            content_hash=r.content_hash,
            attempts=r.attempts,
            remote_id=r.remote_id,
            remote_url=r.remote_url,
            resume_state=r.resume_state,
            options=options,
            campaign=r.campaign,
            author=r.author,
            last_attempt_at=r.last_attempt_at,
        )
        if not with_spec:
            return delivery, None
        spec = PostSpec(
            key=r.key,
            title=r.title,
            text=r.text,
            due_at=r.post_due_at,
            timezone=r.timezone,
            targets=tuple(Target.parse(f"{t.platform}/{t.name}") for t in targets),
            images=originals,
            video=original_video,
            campaign=r.campaign,
            author=r.author,
            link=r.link,
            grace_hours=r.grace_seconds / 3600,
            draft=r.draft,
            options=dict(r.options or {}),
            source_file=r.source_file,
            source_line=r.source_line,
        )
        return delivery, spec

    def post_due_times(self) -> dict[str, datetime]:
        """Every queued post's id and due time (a file loaded again may hold posts long past)."""
        with self.db.read() as conn:
            return {r.key: r.due_at for r in conn.execute(select(s.posts.c.key, s.posts.c.due_at))}

    def has_media(self, delivery_id: int) -> bool:
        with self.db.read() as conn:
            r = conn.execute(
                select(s.posts.c.images, s.posts.c.video)
                .join(s.deliveries, s.deliveries.c.post_id == s.posts.c.id)
                .where(s.deliveries.c.id == delivery_id)
            ).one()
        return bool(r.images) or bool(r.video)

    def counts(self) -> dict[str, int]:
        with self.db.read() as conn:
            return {
                str(st): int(n)
                for st, n in conn.execute(
                    select(s.deliveries.c.state, func.count()).group_by(s.deliveries.c.state)
                )
            }
