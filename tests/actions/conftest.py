from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from publisher.actions.users import add_user
from publisher.core.models import Platform, PostSpec, Target
from publisher.store import Store
from tests.conftest import make_settings

DEMO = Target(Platform.SANDBOX, "demo")


def spec(key: str = "bai-1", due: datetime | None = None, **kw: Any) -> PostSpec:
    values: dict[str, Any] = dict(
        key=key,
        title="Thông báo lịch tiêm chủng",
        text="Nội dung thông báo.",
        due_at=due or datetime.now(UTC).replace(microsecond=0) + timedelta(days=2),
        timezone="Asia/Ho_Chi_Minh",
        targets=(DEMO,),
    )
    values.update(kw)
    return PostSpec(**values)


@pytest.fixture
def office(store: Store) -> Store:
    """A store with sandbox/demo, the user who queues (PUBLISHER_USER ``can-bo``) and an approver."""
    store.add_account(DEMO, "can-bo")
    add_user(store, store.settings, "can-bo", role="admin")
    add_user(store, store.settings, "chu-tich", role="approver", by="can-bo")
    return store


@pytest.fixture
def sqlite_office(tmp_path: Path) -> Iterator[Store]:
    """Like ``office`` on SQLite only, for what does not depend on the database."""
    st = Store(make_settings(tmp_path))
    st.init()
    st.add_account(DEMO, "can-bo")
    add_user(st, st.settings, "can-bo", role="admin")
    try:
        yield st
    finally:
        st.db.dispose()
