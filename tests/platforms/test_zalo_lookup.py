"""Zalo look-ups after a lost answer: the window of a video article, ids other deliveries hold,
undated articles, and a refused token (review findings on issue 10, point 1 and 3)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import requests
import responses

from publisher.core.models import Platform
from publisher.platforms.base import Outcome
from tests.platforms.builders import NOW, TITLE, delivery
from tests.platforms.test_zalo import API, COVER, listed, make_adapter, slices
from tests.platforms.test_zalo import rsps as rsps  # noqa: F401  (the fixture)

EMPTY = {"error": 0, "message": "Success", "data": {"total": 0, "medias": []}}


def _video(tmp_path: Path, **changes: object) -> object:
    clip = tmp_path / "le-hoi.mp4"
    clip.write_bytes(b"z" * 4000)
    return delivery(Platform.ZALO, video=clip, options={"zalo": {"cover_url": COVER}}, **changes)


def test_a_video_article_is_looked_for_from_its_create_not_from_the_upload(
    rsps: responses.RequestsMock,
    tmp_path: Path,
) -> None:
    """The upload began at NOW; the article was created in a poll 6 minutes later and its answer
    lost. Ten seconds on, Zalo has not listed it yet: that is not "absent" (a resend would make a
    second article)."""
    created = NOW + timedelta(minutes=6)
    state = {"kind": "video", "video_token": "vt", "video_id": "v1", "create_started_at": created.isoformat()}
    rsps.get(f"{API}/article/getslice", json=EMPTY)
    adapter = make_adapter(now=created + timedelta(seconds=10))
    result = adapter.reconcile(_video(tmp_path, resume_state=state, last_attempt_at=NOW))
    assert result.outcome is Outcome.UNKNOWN_OUTCOME and result.code == "settling"


def test_the_create_of_a_video_article_records_when_it_began(
    rsps: responses.RequestsMock, tmp_path: Path
) -> None:
    saved: list[dict[str, object]] = []
    rsps.post(f"{API}/article/create", body=requests.exceptions.ConnectionError("dropped after create"))
    adapter = make_adapter(now=NOW + timedelta(minutes=6))
    d = _video(tmp_path, resume_state={"kind": "video", "video_token": "vt", "video_id": "v1"})
    adapter.poll(d, dict(d.resume_state or {}), saved.append)
    assert saved and saved[-1]["create_started_at"] == (NOW + timedelta(minutes=6)).isoformat()


def test_an_article_another_delivery_holds_is_never_adopted(rsps: responses.RequestsMock) -> None:
    slices(
        rsps,
        [
            listed("a-other", TITLE, NOW + timedelta(seconds=5)),
            listed("a-old", "Khác", NOW - timedelta(days=3)),
        ],
    )
    adapter = make_adapter(now=NOW + timedelta(minutes=10))
    d = delivery(Platform.ZALO, options={"zalo": {"cover_url": COVER}}, resume_state={})
    assert adapter.reconcile(d).outcome is Outcome.PUBLISHED  # the same title since the send: ours
    taken = delivery(
        Platform.ZALO,
        options={"zalo": {"cover_url": COVER}},
        resume_state={},
        taken_remote_ids=frozenset({"a-other"}),
    )
    assert adapter.reconcile(taken).outcome is Outcome.ABSENT


def test_an_undated_article_is_never_adopted(rsps: responses.RequestsMock) -> None:
    undated = listed("a-1", TITLE, NOW)
    del undated["create_date"]
    slices(rsps, [undated, listed("a-old", "Khác", NOW - timedelta(days=3))])
    adapter = make_adapter(now=NOW + timedelta(minutes=10))
    result = adapter.reconcile(
        delivery(Platform.ZALO, options={"zalo": {"cover_url": COVER}}, resume_state={})
    )
    assert result.outcome is not Outcome.PUBLISHED


def test_a_refused_token_during_the_look_up_is_said_as_such(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{API}/article/getslice", json={"error": -216, "message": "Access token is invalid"})
    adapter = make_adapter(now=NOW + timedelta(minutes=10))
    result = adapter.reconcile(
        delivery(Platform.ZALO, options={"zalo": {"cover_url": COVER}}, resume_state={})
    )
    assert result.outcome is Outcome.AUTH_EXPIRED and result.code in adapter.refresh_codes
