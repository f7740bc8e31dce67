from __future__ import annotations

import pytest

from publisher.core.states import (
    FINAL,
    IN_FLIGHT,
    NOT_STARTED,
    TRANSITIONS,
    State,
    can_transition,
    check_transition,
)
from publisher.errors import IllegalTransition
from publisher.i18n import set_language


def test_every_state_has_a_row_and_targets_are_states() -> None:
    assert set(TRANSITIONS) == set(State)
    for src, dsts in TRANSITIONS.items():
        assert all(isinstance(d, State) for d in dsts), src


def test_main_line_is_allowed() -> None:
    line = ["draft", "awaiting_approval", "scheduled", "claimed", "publishing", "published"]
    for a, b in zip(line, line[1:], strict=False):
        assert check_transition(a, b) == State(b)


@pytest.mark.parametrize(
    "src,dst",
    [
        ("published", "scheduled"),  # never publish twice
        ("published", "publishing"),
        ("unconfirmed", "claimed"),  # an unknown outcome must be reconciled before any retry
        ("unconfirmed", "publishing"),
        ("publishing", "scheduled"),  # something may have been sent
        ("publishing", "cancelled"),
        ("awaiting_approval", "claimed"),  # nothing unapproved is published
        ("draft", "claimed"),
        ("paused", "claimed"),
    ],
)
def test_dangerous_moves_are_refused(src: str, dst: str) -> None:
    assert not can_transition(src, dst)
    with pytest.raises(IllegalTransition) as info:
        check_transition(src, dst, what="giai-phong-50-nam")
    assert "giai-phong-50-nam" in str(info.value)


def test_refusal_is_readable_in_both_languages() -> None:
    with pytest.raises(IllegalTransition) as vi:
        check_transition("published", "scheduled")
    assert "Không thể chuyển trạng thái" in str(vi.value) and "đã đăng" in str(vi.value)
    set_language("en")
    with pytest.raises(IllegalTransition) as en:
        check_transition("published", "scheduled")
    assert "Cannot move" in str(en.value) and "published" in str(en.value)


def test_published_is_terminal_and_groups_are_consistent() -> None:
    assert TRANSITIONS[State.PUBLISHED] == frozenset()
    assert not (NOT_STARTED & IN_FLIGHT)
    assert State.PUBLISHED in FINAL
    # no path from an in-flight state leads straight back to claimed without reconciliation
    for st in (State.PUBLISHING, State.UNCONFIRMED, State.HANDED_OFF):
        assert State.CLAIMED not in TRANSITIONS[st]
