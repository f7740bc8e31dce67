"""The shapes the JSON API answers and takes (Pydantic models: they make the OpenAPI document).

Times are ISO 8601 in UTC (``2026-04-30T00:00:00Z``); ``timezone`` fields name the office's zone
where local days matter. Links are paths on this server.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    code: str = Field(
        description="Stable machine-readable code: unauthenticated, invalid_token, "
        "forbidden, csrf, not_found, validation, refused, approval_refused, …"
    )
    message: str = Field(description="The message in the app's language (Vietnamese unless set to English).")
    message_vi: str
    message_en: str
    details: list[str] | None = Field(None, description="What exactly is wrong, one line each.")


class ErrorResponse(BaseModel):
    error: ErrorBody


#: documented on every route of the API
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "No credentials, or a token that is not valid"},
    403: {"model": ErrorResponse, "description": "The role may not do this (or a cookie call lacks CSRF)"},
    404: {"model": ErrorResponse, "description": "Not found, or of another unit"},
    422: {"model": ErrorResponse, "description": "The request does not validate"},
}
REFUSED: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorResponse, "description": "Refused by a rule (four-eyes, a blocking finding, …)"}
}


class Page(BaseModel):
    limit: int = Field(description="The page size used (at most 500).")
    next: str | None = Field(description="The next page's address, or null on the last page.")


# -- posts ----------------------------------------------------------------------------------------
class TargetState(BaseModel):
    delivery: int = Field(description="The delivery's number")
    target: str = Field(description="platform/account")
    state: str
    url: str | None = Field(description="The live post, once published")
    published_at: datetime | None


class PostLinks(BaseModel):
    self: str
    page: str = Field(description="The post's page in the web app")


class PostSummary(BaseModel):
    key: str
    title: str
    unit: str
    campaign: str | None
    due_at: datetime
    draft: bool
    queued_by: str
    queued_at: datetime
    updated_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    targets: list[TargetState]
    links: PostLinks


class PostPage(Page):
    items: list[PostSummary]


class Attempt(BaseModel):
    number: int
    kind: str = Field(description="publish | poll | reconcile")
    started_at: datetime
    finished_at: datetime | None
    outcome: str | None
    code: str | None
    reason: str | None


class DeliveryDetail(BaseModel):
    id: int
    target: str
    platform: str
    account: str
    account_label: str
    account_status: str
    state: str
    due_at: datetime
    deadline: datetime
    published_at: datetime | None
    url: str | None
    remote_id: str | None
    last_code: str | None
    last_reason: str | None
    cancel_requested_at: datetime | None
    cancel_requested_by: str | None
    attempts: list[Attempt]


class TrailEntry(BaseModel):
    at: datetime
    actor: str
    action: str
    detail: dict[str, Any]


class PostActionLinks(PostLinks):
    approve: str
    reject: str
    cancel: str
    retry: str


class PostDetail(BaseModel):
    key: str
    title: str
    text: str
    link: str | None
    campaign: str | None
    unit: str
    due_at: datetime
    timezone: str
    grace_hours: float
    draft: bool
    queued_by: str
    queued_at: datetime
    updated_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    photos: list[str] = Field(description="File names of the photos, in order")
    video: str | None = Field(description="File name of the clip")
    deliveries: list[DeliveryDetail]
    trail: list[TrailEntry]
    links: PostActionLinks


# -- actions on a post ----------------------------------------------------------------------------
class RejectRequest(BaseModel):
    comment: str = Field(max_length=4000, description="Why the post is sent back (required)")


class TargetRequest(BaseModel):
    target: str | None = Field(None, description="platform/account: one delivery only; null: every one")


class Change(BaseModel):
    field: str
    kind: str
    before: str | None
    after: str | None


class ApproveResult(BaseModel):
    key: str
    approved_by: str
    targets: str
    content_hash: str
    first: bool = Field(description="The post's first approval")
    previous_by: str | None
    previous_at: datetime | None
    changes: list[Change] = Field(description="What differs from the previous approval")


class RejectResult(BaseModel):
    key: str
    rejected_by: str
    comment: str


class RefState(BaseModel):
    ref: str = Field(description="post:platform/account")
    state: str


class ActionResult(BaseModel):
    key: str
    codes: list[str] = Field(
        description="What happened, as the post page says it (cancelled, "
        "cancel_requested, retried, retry_held, …)"
    )
    done: list[RefState]
    pending: list[RefState]
    skipped: list[RefState]


# -- deliveries, accounts, approvals --------------------------------------------------------------
class DeliveryLinks(BaseModel):
    post: str
    page: str


class DeliveryItem(BaseModel):
    id: int
    post: str
    title: str
    unit: str
    campaign: str | None
    target: str
    platform: str
    account: str
    account_label: str
    state: str
    due_at: datetime
    deadline: datetime
    published_at: datetime | None
    url: str | None
    remote_id: str | None
    attempts: int
    last_code: str | None
    last_reason: str | None
    cancel_requested_at: datetime | None
    updated_at: datetime
    links: DeliveryLinks


class DeliveryPage(Page):
    items: list[DeliveryItem]


class AccountHealth(BaseModel):
    id: int
    target: str
    platform: str
    name: str
    display_name: str | None
    unit: str
    status: str = Field(description="active | needs_reauth | disabled")
    status_reason: str | None
    connected: bool = Field(description="Credentials are stored (never returned)")
    token_expires_at: datetime | None
    token_days: int | None = Field(description="Whole days left; negative: expired")
    renews_itself: bool
    refresh_expires_at: datetime | None
    refresh_days: int | None
    last_success_at: datetime | None
    last_success_url: str | None
    last_success_post: str | None


class AccountList(BaseModel):
    items: list[AccountHealth]


class Approval(BaseModel):
    by: str
    at: datetime


class Edit(BaseModel):
    by: str
    at: datetime
    fields: list[str]


class Rejection(BaseModel):
    by: str
    at: datetime
    comment: str | None


class ApprovalItem(BaseModel):
    key: str
    title: str
    unit: str
    due_at: datetime
    queued_by: str
    waiting_since: datetime
    targets: list[str]
    previous_approval: Approval | None
    edits_since: list[Edit] = Field(description="Edits since the previous approval (or since queued)")
    last_rejection: Rejection | None
    links: PostActionLinks


class ApprovalPage(Page):
    items: list[ApprovalItem]


# -- calendar, reports, me ------------------------------------------------------------------------
class CalendarDelivery(BaseModel):
    id: int
    post: str
    title: str
    unit: str
    target: str
    account_label: str
    state: str
    due_at: datetime
    local_date: date = Field(description="The day in the office's time zone")


class Occasion(BaseModel):
    id: str
    date: date
    name: str
    name_en: str | None
    title: str = Field(description="The official title with the years, as on a banner")
    category: str
    calendar: Literal["solar", "lunar"]
    lunar: str
    years: int | None
    ordinal: str | None
    round: bool
    major: bool
    holiday: bool
    plan_url: str = Field(description="The compose page, pre-filled for this day")


class CalendarResponse(BaseModel):
    start: date
    end: date = Field(description="The last day (inclusive)")
    timezone: str
    deliveries: list[CalendarDelivery]
    occasions: list[Occasion]
    occasions_error: str | None = Field(description="Why the commemorations are missing, if they are")


class ReportSection(BaseModel):
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]] = Field(description="Cells: numbers, text, or null for “no figure”")
    link_column: int | None


class WeeklyReport(BaseModel):
    week: str = Field(description="ISO week, e.g. 2026-W18")
    title: str
    start: datetime
    end: datetime
    previous_week: str
    timezone: str
    unit: str | None = Field(description="The unit reported on; null: every unit")
    generated_at: datetime
    sections: list[ReportSection]
    charts: dict[str, Any] = Field(description="The data the report's charts are drawn from")
    downloads: dict[str, str] = Field(description="The report as files (xlsx, csv, html)")


class Me(BaseModel):
    name: str
    role: str
    unit: str | None
    units: list[str] | None = Field(description="The units this user sees; null: all (an admin)")
    via: Literal["token", "session"]


__all__ = [
    "ERRORS",
    "REFUSED",
    "AccountHealth",
    "AccountList",
    "ActionResult",
    "ApprovalItem",
    "ApprovalPage",
    "ApproveResult",
    "CalendarResponse",
    "DeliveryItem",
    "DeliveryPage",
    "ErrorResponse",
    "Me",
    "PostDetail",
    "PostPage",
    "RejectRequest",
    "RejectResult",
    "TargetRequest",
    "WeeklyReport",
]
