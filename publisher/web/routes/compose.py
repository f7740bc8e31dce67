"""``/compose`` (a new post) and ``/posts/{key}/edit``: the compose form, its live check, and saving.

The form is read by :mod:`publisher.web.forms` into the post a schedule file would describe, with
the loader's rules; saved through :func:`publisher.actions.queue.queue_posts`, the use case of
``publisher queue``: an edit of an approved post voids its approval and a post sent back returns to
the approver, exactly as loading an edited file does. ``POST /compose/check`` (htmx, debounced)
answers the live counters per platform (characters, UTF-8 bytes where YouTube counts bytes) and the
pre-publish review findings, each beside its field; on save the server judges again and a block
finding saves nothing. ``/compose?date=2026-04-30&occasion=<id>`` (the calendar's "plan a post for
this day") starts with the commemoration's official title and ordinal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from publisher.actions.review import findings_for, platform_limits
from publisher.core.limits import measure
from publisher.core.models import Platform, PostSpec
from publisher.core.people import DEFAULT_UNIT
from publisher.core.review import Finding
from publisher.core.states import State
from publisher.errors import UserError
from publisher.i18n import register, t
from publisher.store.webposts import WebPosts
from publisher.web.deps import Viewer, page, web
from publisher.web.forms import Built, ComposeForm, Existing, build, existing_post, form_of, quick_spec, save
from publisher.web.forms import zone_of as form_zone
from publisher.web.render import render
from publisher.web.routes.calendar import FIRST_YEAR, LAST_YEAR, year_occurrences
from publisher.web.routes.dashboard import pause_banner, platform_names
from publisher.web.routes.posts import _rejection
from publisher.web.uploads import resolve_upload

register(
    {
        "web.compose.title_new": ("Soạn bài mới", "New post"),
        "web.compose.title_edit": ("Sửa bài {key}", "Edit post {key}"),
        "web.compose.f.title": ("Tiêu đề", "Title"),
        "web.compose.f.text": ("Nội dung", "Text"),
        "web.compose.f.link": ("Liên kết (không bắt buộc)", "Link (optional)"),
        "web.compose.f.targets": ("Đăng lên", "Publish to"),
        "web.compose.f.unit": ("Đơn vị {unit}", "Unit {unit}"),
        "web.compose.f.no_accounts": (
            "Đơn vị chưa có tài khoản nào: kết nối tài khoản ở trang Tài khoản.",
            "The unit has no account yet: connect one on the Accounts page.",
        ),
        "web.compose.f.reauth": ("cần đăng nhập lại", "needs reconnecting"),
        "web.compose.f.when": ("Thời điểm đăng", "When"),
        "web.compose.f.date": ("Ngày", "Day"),
        "web.compose.f.time": ("Giờ ({zone})", "Time ({zone})"),
        "web.compose.f.grace": ("Cho phép đăng muộn (giờ)", "Late-publish window (hours)"),
        "web.compose.f.grace_hint": (
            "Để trống: {hours} giờ. Quá khoảng này sau giờ đăng thì bài không đăng nữa.",
            "Empty: {hours} hours. Past this after the due time the post is not sent any more.",
        ),
        "web.compose.f.campaign": ("Chiến dịch (không bắt buộc)", "Campaign (optional)"),
        "web.compose.f.draft": (
            "Bản nháp: chưa gửi duyệt, chưa đăng",
            "Draft: not sent for approval, not published",
        ),
        "web.compose.f.id": ("Mã bài (không bắt buộc)", "Post id (optional)"),
        "web.compose.f.id_hint": (
            "Để trống thì mã bài được đặt theo tiêu đề.",
            "Left empty, the id is made from the title.",
        ),
        "web.compose.f.more": ("Thêm tùy chọn", "More options"),
        "web.compose.f.media": ("Ảnh và video", "Photos and video"),
        "web.compose.f.photos": ("Tải ảnh lên", "Upload photos"),
        "web.compose.f.video": ("Tải video lên", "Upload a video"),
        "web.compose.f.keep_photo": ("Giữ ảnh {n}: {name}", "Keep photo {n}: {name}"),
        "web.compose.f.keep_video": ("Giữ video: {name}", "Keep the video: {name}"),
        "web.compose.f.uploaded": ("Dùng tệp đã tải lên: {name}", "Use the uploaded file: {name}"),
        "web.compose.f.caption": ("Chú thích ảnh {n} trong video", "Caption of photo {n} in the video"),
        "web.compose.f.story": (
            "Làm video ngắn (video từ ảnh) bằng các ảnh này",
            "Make a short video (photo story) from these photos",
        ),
        "web.compose.f.story_hint": (
            "Ảnh được ghép theo thứ tự trên, có trang tiêu đề (kèm ngày và tên đơn vị), thành video "
            "dọc cho Reels, Shorts và Zalo. Bài đăng video này thay cho các ảnh.",
            "The photos, in the order above, become a vertical video with a title card (with the "
            "date and the unit's name) for Reels, Shorts and Zalo. The post carries this video "
            "instead of the photos.",
        ),
        "web.compose.f.story_title": (
            "Tiêu đề trên video (để trống: tiêu đề bài)",
            "Title on the video (empty: the post's title)",
        ),
        "web.compose.save": ("Lưu bài", "Save"),
        "web.compose.preview": ("Xem trước trên từng nền tảng", "Preview on each platform"),
        "web.compose.cancel": ("Về trang bài", "Back to the post"),
        "web.compose.refused": (
            "Chưa lưu: sửa các mục được đánh dấu bên dưới.",
            "Not saved: fix what is marked below.",
        ),
        "web.compose.blocked": (
            "Chưa lưu: có {n} mục CHẶN phải sửa trước (xem bên cạnh từng ô).",
            "Not saved: {n} BLOCK finding(s) to fix first (see beside each field).",
        ),
        "web.compose.check": ("Kiểm tra trước khi đăng", "Pre-publish check"),
        "web.compose.check_ok": ("Chưa thấy vấn đề gì.", "No problem found so far."),
        "web.compose.check_blocks": ("{n} mục CHẶN phải sửa.", "{n} BLOCK finding(s) to fix."),
        "web.compose.check_warns": ("{n} mục cần lưu ý.", "{n} finding(s) to look at."),
        "web.compose.unit.chars": ("ký tự", "characters"),
        "web.compose.unit.bytes": ("byte UTF-8", "UTF-8 bytes"),
        "web.compose.unit.photos": ("ảnh", "photos"),
        "web.compose.states": ("Trạng thái các nơi đăng", "State of each target"),
        "web.compose.occasion_missing": (
            "Không tìm thấy ngày lễ “{occasion}” vào ngày {date}.",
            "No commemoration “{occasion}” on {date}.",
        ),
        "web.compose.saved.created": ("Đã lưu bài mới.", "The new post is saved."),
        "web.compose.saved.updated": ("Đã lưu các thay đổi.", "The changes are saved."),
        "web.compose.saved.unchanged": ("Không có gì thay đổi.", "Nothing changed."),
        "web.compose.saved.voided": (
            "Nội dung đã sửa sau khi duyệt nên bài phải được duyệt lại.",
            "Edited after its approval: the post must be approved again.",
        ),
        "web.compose.saved.resubmitted": (
            "Bài đã sửa được gửi lại cho người duyệt.",
            "The edited post is back with the approver.",
        ),
        "web.compose.saved.not_changed": (
            "Có nơi đăng đã bắt đầu gửi hoặc đã đăng: thay đổi không tới được nơi đó.",
            "Some targets are being sent or already published: the edit does not reach them.",
        ),
    }
)

router = APIRouter()

SAVED = ("created", "updated", "unchanged", "voided", "resubmitted", "not_changed")
#: the form fields a check result is shown beside
CHECKED = ("title", "text", "photos", "video")


@dataclass(frozen=True)
class Counter:
    """One platform's measure of one field against its limit."""

    platform: str
    n: int
    max: int | None
    unit: str

    @property
    def over(self) -> bool:
        return self.max is not None and self.n > self.max


@dataclass(frozen=True)
class Shown:
    """A review finding as the page shows it."""

    blocks: bool
    kind: str
    message: str
    platform: str | None


def _platforms(spec: PostSpec, accounts: Iterable[Any]) -> list[str]:
    """The platforms counted: the targets', else those of the accounts offered."""
    chosen = {x.platform.value for x in spec.targets} or {a.platform for a in accounts}
    return [p.value for p in Platform if p.value in chosen]


def counters(spec: PostSpec, platforms: list[str]) -> dict[str, list[Counter]]:
    """Per field, each platform's count against the limit its adapter declares."""
    limits, names = platform_limits(), platform_names()
    out: dict[str, list[Counter]] = {"title": [], "text": [], "photos": []}
    for p in platforms:
        lim, name = limits.get(p, {}), names.get(p, p)
        in_bytes = bool(lim.get("text_counts_bytes"))
        out["title"].append(Counter(name, len(spec.title), lim.get("title_max"), t("web.compose.unit.chars")))
        unit = t("web.compose.unit.bytes" if in_bytes else "web.compose.unit.chars")
        out["text"].append(Counter(name, measure(spec.text, in_bytes), lim.get("text_max"), unit))
        out["photos"].append(
            Counter(name, len(spec.images), lim.get("max_images"), t("web.compose.unit.photos"))
        )
    return out


def shown(findings: Iterable[Finding]) -> dict[str, list[Shown]]:
    """The findings by the form field they are shown beside."""
    names = platform_names()
    out: dict[str, list[Shown]] = {}
    for f in findings:
        place = "photos" if f.field == "images" else f.field if f.field in CHECKED else "text"
        platform = names.get(f.target, f.target) if f.target else None
        out.setdefault(place, []).append(
            Shown(f.blocks, t(f"review.kind.{f.kind}"), str(f.message), platform)
        )
    return out


def _accounts(viewer: Viewer, request: Request, existing: Existing | None) -> list[Any]:
    rows = [a for a in web(request).store.accounts() if viewer.sees(a.unit)]
    if existing is not None:
        rows = [a for a in rows if (a.unit or DEFAULT_UNIT) == existing.unit]
    return rows


def _groups(rows: list[Any]) -> list[tuple[str, list[Any]]]:
    groups: dict[str, list[Any]] = {}
    for a in rows:
        groups.setdefault(a.unit or DEFAULT_UNIT, []).append(a)
    return sorted(groups.items())


def _check(
    request: Request, viewer: Viewer, form: ComposeForm, existing: Existing | None, built: Built | None = None
) -> dict[str, Any]:
    """The counters and the findings of the form as typed (the built post's, once it is built)."""
    ctx = web(request)
    spec, quick = quick_spec(form, viewer, ctx, existing)
    findings = (
        built.findings if built is not None and built.spec is not None else findings_for(spec, ctx.settings)
    )
    problems = {k: v for k, v in quick.errors.items() if k in ("photos", "video")}
    return {
        "counters": counters(spec, _platforms(spec, _accounts(viewer, request, existing))),
        "found": shown(findings),
        "n_block": sum(1 for f in findings if f.blocks),
        "n_warn": sum(1 for f in findings if not f.blocks),
        "problems": problems,
    }


def _uploaded(request: Request, viewer: Viewer, ids: list[str]) -> list[tuple[str, str]]:
    """(upload id, file name) of the uploads the form names, to offer them again after a refusal."""
    out = []
    for upload_id in ids:
        try:
            out.append(
                (upload_id, resolve_upload(web(request).settings, upload_id, owner=viewer.user.id).name)
            )
        except UserError:
            continue
    return out


def _occasion(day: str | None, occasion: str | None) -> tuple[ComposeForm, str | None]:
    """A new form for ``day``; with ``occasion`` (an event id of the calendar) its official title."""
    form = ComposeForm()
    try:
        when = date.fromisoformat((day or "").strip())
    except ValueError:
        return form, None
    if not FIRST_YEAR <= when.year <= LAST_YEAR:
        return form, None
    form.date = when.isoformat()
    if not occasion:
        return form, None
    try:
        found = next(
            (o for o in year_occurrences(when.year) if o.event.id == occasion and o.date == when), None
        )
    except UserError as exc:  # a broken calendar file: say so, the form still works
        return form, str(exc)
    if found is None:
        return form, t("web.compose.occasion_missing", occasion=occasion[:80], date=f"{when:%d/%m/%Y}")
    form.title, form.campaign, form.time = found.title, found.short_title, "07:00"
    return form, None


def _page(
    request: Request,
    viewer: Viewer,
    form: ComposeForm,
    existing: Existing | None = None,
    built: Built | None = None,
    status_code: int = 200,
    saved: Iterable[str] = (),
    note: str | None = None,
) -> Response:
    ctx = web(request)
    key = existing.spec.key if existing is not None else None
    view = WebPosts(ctx.store.db).post(key) if key else None
    photos: list[tuple[int, str, str | None, bool, str]] = []
    if existing is not None:
        thumbs = existing.spec.story is None  # the post's own images: /posts/{key}/media/{i}
        photos = [
            (i, p.name, f"/posts/{quote(existing.spec.key)}/media/{i}" if thumbs else None, i in form.keep_photos,
             form.captions.get(i, ""))
            for i, p in enumerate(existing.photos)
        ]  # fmt: skip
    refused = None
    if built is not None and built.errors:
        refused = t("web.compose.refused")
    elif built is not None and built.blocked:
        refused = t("web.compose.blocked", n=sum(1 for f in built.findings if f.blocks))
    return render(
        request,
        "compose.html",
        viewer,
        status_code=status_code,
        form=form,
        key=key,
        errors=built.errors if built is not None else {},
        notes=built.notes if built is not None else {},
        refused=refused,
        groups=_groups(_accounts(viewer, request, existing)),
        show_units=viewer.units is None,
        check=_check(request, viewer, form, existing, built),
        checked=CHECKED,
        zone=form_zone(existing, ctx),
        grace_default=f"{ctx.settings.grace_hours:g}",
        photos=photos,
        video=existing.video.name if existing is not None and existing.video is not None else None,
        uploaded_photos=_uploaded(request, viewer, form.photos),
        uploaded_video=_uploaded(request, viewer, [form.video] if form.video else []),
        saved=[c for c in saved if c in SAVED],
        deliveries=view.deliveries if view is not None else [],
        rejection=_rejection(view) if view is not None else None,
        occasion_error=note,
        paused=pause_banner(ctx.store),
    )


def _submit(request: Request, viewer: Viewer, form: ComposeForm, key: str | None) -> Response:
    """Build, judge and save; refused: the form again with every message, nothing saved."""
    ctx = web(request)
    existing = existing_post(viewer, ctx, key) if key else None
    before = WebPosts(ctx.store.db).post(key) if key else None
    built = build(form, viewer, ctx, existing)
    if built.spec is None or built.errors or built.blocked:
        return _page(request, viewer, form, existing, built, status_code=400)
    try:
        report = save(built, viewer, ctx, new=existing is None)
    except UserError as exc:
        built.error("form", str(exc))
        return _page(request, viewer, form, existing, built, status_code=400)
    key = built.spec.key
    outcomes = (
        ("created", report.created),
        ("updated", report.updated),
        ("unchanged", report.unchanged),
        ("voided", report.approval_voided),
    )
    codes = [code for code, keys in outcomes if key in keys]
    codes += ["not_changed"] if report.not_changed else []
    if before is not None and _rejection(before) is not None and key in report.updated:
        after = WebPosts(ctx.store.db).post(key)
        waiting = State.AWAITING_APPROVAL.value
        if after is not None and any(d.state == waiting for d in after.deliveries):
            codes.append("resubmitted")
    return RedirectResponse(f"/posts/{quote(key)}/edit?saved={','.join(codes)}", status_code=303)


def _check_fragment(request: Request, viewer: Viewer, form: ComposeForm, key: str | None) -> Response:
    existing = existing_post(viewer, web(request), key) if key else None
    check = _check(request, viewer, form, existing)
    return render(request, "compose_check.html", viewer, check=check, checked=CHECKED, oob=True)


@router.get("/compose", name="compose", response_class=HTMLResponse)
def compose(
    request: Request,
    viewer: Annotated[Viewer, Depends(page("compose"))],
    date: str | None = None,
    occasion: str | None = None,
) -> Response:
    form, note = _occasion(date, occasion)
    return _page(request, viewer, form, note=note)


@router.post("/compose", name="compose_submit", response_class=HTMLResponse)
async def compose_submit(
    request: Request, viewer: Annotated[Viewer, Depends(page("compose_submit"))]
) -> Response:
    form = ComposeForm.read(await request.form())
    return await run_in_threadpool(_submit, request, viewer, form, None)


@router.post("/compose/check", name="compose_check", response_class=HTMLResponse)
async def compose_check(
    request: Request, viewer: Annotated[Viewer, Depends(page("compose_check"))]
) -> Response:
    """The live check (htmx): the summary, and each field's counters and findings swapped beside it."""
    raw = await request.form()
    post = raw.get("post")
    key = post.strip() if isinstance(post, str) and post.strip() else None
    return await run_in_threadpool(_check_fragment, request, viewer, ComposeForm.read(raw), key)


@router.get("/posts/{key}/edit", name="post_edit", response_class=HTMLResponse)
def post_edit(
    request: Request, key: str, viewer: Annotated[Viewer, Depends(page("post_edit"))], saved: str = ""
) -> Response:
    ctx = web(request)
    existing = existing_post(viewer, ctx, key)
    return _page(
        request, viewer, form_of(existing, form_zone(existing, ctx)), existing, saved=saved.split(",")
    )


@router.post("/posts/{key}/edit", name="post_edit_submit", response_class=HTMLResponse)
async def post_edit_submit(
    request: Request, key: str, viewer: Annotated[Viewer, Depends(page("post_edit_submit"))]
) -> Response:
    form = ComposeForm.read(await request.form())
    return await run_in_threadpool(_submit, request, viewer, form, key)


__all__ = ["Counter", "counters", "router", "shown"]
