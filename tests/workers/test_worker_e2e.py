"""A due post goes out through a real worker process, real Redis and the real Facebook adapter."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.workers.conftest import Cluster


@pytest.mark.parametrize("cluster", ["sqlite", "postgresql"], indirect=True)
def test_due_post_published_by_real_worker_and_beat_within_seconds(cluster: Cluster) -> None:
    page = cluster.add_page("ubnd-xa")
    [message] = cluster.queue([page], 1, due_in=3.0)
    cluster.start_worker("w1")
    cluster.start_beat()
    cluster.wait_until(lambda: cluster.states() == {"published": 1}, 40, "the post to be published")
    [post] = cluster.graph.state.posts
    assert post.message == message and post.published
    [row] = cluster.rows()
    assert row.remote_id == post.id
    assert row.remote_url and row.remote_url.endswith(post.id)
    assert row.published_at is not None
    created = datetime.fromtimestamp(post.created, row.due_at.tzinfo)
    lateness = (created - row.due_at).total_seconds()
    # on time: not before its minute (tolerance of the dispatcher), and within a few seconds after
    assert -1.0 <= lateness <= 6.0, lateness
