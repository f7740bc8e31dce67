"""The scripted stand-in adapter."""

from __future__ import annotations

from typing import Any

import pytest

from publisher.core.models import Platform
from publisher.platforms.base import Adapter, AuthExpired, Credentials, Metrics, Outcome, Result
from publisher.platforms.fake import FakeAdapter
from tests.platforms.builders import delivery


def test_results_come_in_script_order_and_the_last_repeats() -> None:
    fake = FakeAdapter(publish=[Result.unknown("timeout"), Result.published("p-1")])
    d = delivery(Platform.SANDBOX)
    assert fake.publish(d).outcome is Outcome.UNKNOWN_OUTCOME
    assert fake.publish(d).remote_id == "p-1"
    assert fake.publish(d).remote_id == "p-1"
    assert fake.calls == [("publish", 7)] * 3


def test_default_script_publishes_and_reconcile_says_absent() -> None:
    fake = FakeAdapter()
    d = delivery(Platform.SANDBOX)
    assert fake.publish(d) == Result.published("fake-7")
    assert fake.reconcile(d).outcome is Outcome.ABSENT
    assert isinstance(fake, Adapter)


def test_exceptions_are_raised_and_callables_see_the_call() -> None:
    fake = FakeAdapter(publish=[RuntimeError("bug"), lambda d: Result.rejected("x", f"no {d.post_key}")])
    d = delivery(Platform.SANDBOX)
    with pytest.raises(RuntimeError):
        fake.publish(d)
    assert fake.publish(d).reason == "no tiem-chung-12"


def test_checkpoints_are_passed_to_the_caller() -> None:
    seen: list[dict[str, Any]] = []
    fake = FakeAdapter(checkpoints=[{"token": "t1"}], publish=[Result.pending({"token": "t1", "step": 2})])
    fake.publish(delivery(Platform.SANDBOX), lambda data: seen.append(data))
    assert seen == [{"token": "t1"}, {"token": "t1", "step": 2}]


def test_refresh_and_engagement() -> None:
    fake = FakeAdapter(engagement={"a": Metrics(views=3)})
    new = fake.refresh(Credentials(access_token="x", refresh_token="r"))
    assert new.access_token == "x+"
    with pytest.raises(AuthExpired):
        fake.refresh(Credentials(access_token="x"))
    assert fake.fetch_engagement(["a", "b"]) == {"a": Metrics(views=3)}
    scripted = FakeAdapter(refresh=[AuthExpired("refused")])
    with pytest.raises(AuthExpired):
        scripted.refresh(Credentials(refresh_token="r"))
