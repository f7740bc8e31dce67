"""Resolve doubt: ask the platform about an ``unconfirmed`` or ``handed_off`` delivery.

Read-only and idempotent: the adapter's ``reconcile`` looks for what the latest *send* may have
created (the window starts at that send, never at an earlier look-up), ignoring platform ids that
other deliveries of the account hold. Only an answer of ``absent`` makes a new send legal; the
decision table is :func:`publisher.core.decisions.after_reconcile`, and an officer's cancel
request recorded meanwhile is honoured in the same transaction (:func:`settle_cancel`).
"""

from __future__ import annotations

import dataclasses

from publisher.actions.sending import Sender, Step, ending, reason_of
from publisher.actions.worker import log
from publisher.core.decisions import Doubt, after_reconcile, settle_cancel
from publisher.core.states import State
from publisher.platforms.base import Outcome, Result
from publisher.platforms.http import mask_text
from publisher.platforms.tokens import cured_by_refresh


def reconcile(sender: Sender, delivery_id: int) -> Step:
    """Ask the platform about an ``unconfirmed`` or ``handed_off`` delivery (read-only, idempotent)."""
    repo = sender.repo
    row = repo.row(delivery_id)
    if row is None:
        return Step(delivery_id, "gone")
    state = State(row.state)
    if state not in (State.UNCONFIRMED, State.HANDED_OFF):
        return Step(delivery_id, "skipped", state)
    now = sender.clock()
    delivery = sender.store.delivery(delivery_id)
    sent = repo.sent_at(delivery_id)
    if sent is not None:
        # The adapter looks for what the *send* may have created: the window starts there,
        # never at an earlier look-up (that lost a Zalo article and published it twice).
        delivery = dataclasses.replace(delivery, last_attempt_at=sent)
    delivery = dataclasses.replace(delivery, taken_remote_ids=repo.taken_ids(delivery_id))
    tries = repo.reconcile_count(delivery_id)
    request = {"state": state.value, "resume_state": delivery.resume_state}
    attempt = repo.open_attempt(
        delivery_id, int(row.attempts), "reconcile", delivery.content_hash, request, now
    )
    try:
        adapter = sender.adapter(row.account_credentials, int(row.account_id), delivery)
    except Exception as exc:
        log.warning("reconcile could not build the adapter for delivery %s", delivery_id, exc_info=True)
        result = Result.unknown(type(exc).__name__, mask_text(str(exc))[:200])
    else:
        # a look-up refused at authentication gets the same one refresh as a send (read-only)
        result = sender.call(adapter, delivery, "reconcile")
        if cured_by_refresh(adapter, result):
            result = sender.refresh_and_retry(adapter, delivery, "reconcile", result)
    reason = reason_of(result)
    policy = sender.policy
    doubt = Doubt(
        state=state,
        attempts=int(row.attempts),
        deadline=row.deadline,
        due_at=delivery.due_at,
        remote_id=delivery.remote_id,
        remote_url=delivery.remote_url,
        resume_state=delivery.resume_state,
        last_code=row.last_code,
        last_reason=row.last_reason,
    )
    again = policy.look_again(tries, now)
    dst, values = after_reconcile(
        result, doubt, code=result.code, reason=reason, policy=policy, again=again, now=now
    )
    if result.outcome is Outcome.AUTH_EXPIRED:  # keep doubting, and flag the account
        sender.store.set_account_status(sender.account_id(delivery.target), "needs_reauth", reason)
    moved = repo.reconciled(
        delivery_id,
        state,
        dst,
        values,
        now,
        attempt,
        ending(result, reason),
        lambda dst, values, who: settle_cancel(state, dst, values, who, result.outcome.value),
    )
    next_at = values.get("next_attempt_at")
    sender.log(delivery, "reconcile", int(row.attempts), result, moved, now, sender.clock(), next_at)
    return Step(delivery_id, moved.value if moved else "skipped", moved, next_at)


__all__ = ["reconcile"]
