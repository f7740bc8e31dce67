"""The demo post of ``publisher run --demo``: a sandbox post that shows, on a fresh machine, that
the publisher goes out on time (it appears in the outbox folder)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from publisher.actions.users import policy_value
from publisher.core.models import Platform, PostSpec, Target
from publisher.core.people import REQUIRE_APPROVAL
from publisher.i18n import register, t
from publisher.settings import Settings

register(
    {
        "run.demo_title": ("Bản tin thử nghiệm của xã", "Commune test bulletin"),
        "run.demo_text": (
            "Đây là bài đăng thử của phần mềm đăng bài tự động. Nếu bạn thấy trang này trong thư mục "
            "outbox thì bộ đăng bài đã chạy đúng giờ.",
            "This is a test post of the automatic publisher. If you see this page in the outbox folder, "
            "the publisher ran on time.",
        ),
    }
)


def queue_demo(store: Any, st: Settings, due_in: float) -> PostSpec:
    """Make sure sandbox/demo exists and queue + approve (as "demo") a post due ``due_in`` s later."""
    target = Target(Platform.SANDBOX, "demo")
    actor = st.actor()
    if actor == "demo":
        actor = "publisher"
    store.add_account(target, actor=actor, display_name="Demo", exist_ok=True)
    due = (datetime.now(UTC) + timedelta(seconds=due_in)).replace(microsecond=0)
    spec = PostSpec(
        key=f"demo-{due.strftime('%Y%m%d-%H%M%S')}",
        title=t("run.demo_title"),
        text=t("run.demo_text"),
        due_at=due,
        timezone=st.timezone,
        targets=(target,),
        grace_hours=1.0,
    )
    store.queue([spec], actor=actor)
    if policy_value(store, REQUIRE_APPROVAL):  # the office policy, as the worker will read it
        store.approve([spec.key], by="demo")
    return spec


__all__ = ["queue_demo"]
