"""``/import``: load a year's plan from a schedule file (YAML, CSV, or what ``publisher plan`` wrote).

Two steps, both ``POST /import``: ``action=check`` uploads the file, keeps it for this user (see
:mod:`publisher.actions.imports`) and shows what ``publisher queue --check`` says of it, each
finding with its line, post and field, and what the import will do to each post; after a clean
check, ``action=confirm`` checks the kept file again and queues it into the viewer's unit (an admin
picks the unit). ``GET /import/template.csv`` is an empty plan with one example row.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from publisher.actions.imports import (
    PENDING_TTL,
    TEMPLATE_COLUMNS,
    check_import,
    confirm_import,
    media_dir,
    pending_import,
    save_upload,
    template_csv,
)
from publisher.actions.users import known_units
from publisher.core.people import DEFAULT_UNIT, validate_unit
from publisher.errors import NotFound, UserError
from publisher.i18n import msg, register
from publisher.web.deps import Viewer, page, web
from publisher.web.render import render
from publisher.web.routes.pause import pause_banner

register(
    {
        "web.import.title": ("Nạp kế hoạch từ tệp", "Import a plan"),
        "web.import.intro": (
            "Tải lên tệp lịch đăng bài (CSV hoặc YAML, kể cả tệp do “publisher plan” soạn). Trang sẽ kiểm tra "
            "tệp giống hệt lệnh “publisher queue --check” và chỉ nạp khi bạn bấm xác nhận.",
            "Upload a schedule file (CSV or YAML, including the file “publisher plan” wrote). The page "
            "checks it exactly as “publisher queue --check” does and imports only when you confirm.",
        ),
        "web.import.file": ("Tệp lịch (.csv, .yaml)", "Schedule file (.csv, .yaml)"),
        "web.import.file_hint": (
            "Tối đa {size}. Tệp CSV từ Excel: chọn Lưu thành → “CSV UTF-8 (Comma delimited)”.",
            "At most {size}. A CSV from Excel: choose Save As → “CSV UTF-8 (Comma delimited)”.",
        ),
        "web.import.unit": ("Nạp vào đơn vị", "Import into unit"),
        "web.import.unit_fixed": (
            "Các bài mới thuộc đơn vị “{unit}”; mọi nơi đăng phải là tài khoản của đơn vị này.",
            "New posts belong to unit “{unit}”; every target must be an account of this unit.",
        ),
        "web.import.check": ("Kiểm tra tệp", "Check the file"),
        "web.import.again": ("Kiểm tra một tệp khác", "Check another file"),
        "web.import.template": ("Tải tệp mẫu CSV", "Download the CSV template"),
        "web.import.template_hint": (
            "Tệp mẫu có dòng tiêu đề và một bài ví dụ; các cột: {columns}. Nhiều ảnh hoặc nhiều nơi đăng "
            "cách nhau bởi dấu “;”.",
            "The template has the header row and one example post; its columns: {columns}. Several photos "
            "or targets are separated by “;”.",
        ),
        "web.import.media": (
            "Đường dẫn ảnh và video viết tương đối (ví dụ “30-4/anh-1.jpg”) được tìm trong thư mục media của "
            "máy chủ: {folder}. Ảnh tải lên ở trang Soạn bài nằm sẵn ở đó; tệp không có ở đó thì báo lỗi "
            "giống như dòng lệnh.",
            "Relative photo and video paths (for example “30-4/photo-1.jpg”) are looked for in the server's "
            "media folder: {folder}. Photos uploaded on the Compose page are already there; a file not "
            "there is an error, as on the command line.",
        ),
        "web.import.identity": (
            "Tệp được nhận biết theo tên: tải lên lại tệp cùng tên để cập nhật các bài của nó; bài không đổi "
            "thì giữ nguyên, nạp lại y hệt không thay đổi gì.",
            "A file is known by its name: upload a file of the same name again to update its posts; "
            "unchanged posts stay as they are, and the same file again changes nothing.",
        ),
        "web.import.no_file": ("Hãy chọn một tệp lịch.", "Choose a schedule file."),
        "web.import.bad_action": ("Yêu cầu không hợp lệ.", "Not a valid request."),
        "web.import.checked": ("Kết quả kiểm tra tệp “{name}”", "Check of “{name}”"),
        "web.import.errors": (
            "Tệp có {n} lỗi nên chưa nạp gì. Sửa trong tệp rồi tải lên lại.",
            "The file has {n} error(s), so nothing was imported. Fix the file and upload it again.",
        ),
        "web.import.clean": (
            "Tệp hợp lệ: {n} bài. Chưa nạp gì: xem lại rồi bấm “Xác nhận nạp”.",
            "The file is valid: {n} posts. Nothing is imported yet: review, then press “Confirm import”.",
        ),
        "web.import.warnings": ("Lưu ý và ghi chú", "Warnings and notes"),
        "web.import.plan": ("Sẽ nạp như sau", "What the import will do"),
        "web.import.confirm": ("Xác nhận nạp", "Confirm import"),
        "web.import.confirm_hint": (
            "Bài mới và bài sửa phải được duyệt trước khi đăng (nếu đơn vị yêu cầu duyệt).",
            "New and edited posts must be approved before they go out (when the office requires approval).",
        ),
        "web.import.col.line": ("Dòng", "Line"),
        "web.import.col.post": ("Bài", "Post"),
        "web.import.col.field": ("Mục", "Field"),
        "web.import.col.message": ("Nội dung", "Message"),
        "web.import.col.due": ("Giờ đăng", "Due"),
        "web.import.col.targets": ("Nơi đăng", "Targets"),
        "web.import.col.outcome": ("Khi nạp", "On import"),
        "web.import.kind.error": ("LỖI", "ERROR"),
        "web.import.kind.block": ("CHẶN", "BLOCK"),
        "web.import.kind.warn": ("LƯU Ý", "WARN"),
        "web.import.kind.note": ("GHI CHÚ", "NOTE"),
        "web.import.outcome.new": ("Thêm mới", "New"),
        "web.import.outcome.changed": ("Cập nhật", "Changed"),
        "web.import.outcome.unchanged": ("Không đổi", "Unchanged"),
        "web.import.outcome.cancelled": ("Đã hủy trước đây, không đổi", "Cancelled earlier, unchanged"),
        "web.import.summary": (
            "Thêm mới {new}, cập nhật {changed}, không đổi {unchanged}.",
            "New {new}, changed {changed}, unchanged {unchanged}.",
        ),
        "web.import.done": ("Đã nạp tệp “{name}”.", "Imported “{name}”."),
        "web.import.created": ("Thêm mới", "Created"),
        "web.import.updated": ("Cập nhật", "Updated"),
        "web.import.unchanged": ("Không đổi: {n} bài", "Unchanged: {n} posts"),
        "web.import.voided": (
            "Nội dung đã sửa nên phải duyệt lại",
            "Edited after approval, approval voided",
        ),
        "web.import.not_changed": (
            "Không sửa được {item} vì đang ở trạng thái “{state}”.",
            "Could not change {item}: it is {state}.",
        ),
        "web.import.target_removed": ("Đã bỏ nơi đăng {item}.", "Removed target {item}."),
        "web.import.removed": (
            "Bài “{key}” không còn trong tệp nhưng vẫn còn trong lịch: hủy ở trang của bài nếu không đăng nữa.",
            "Post “{key}” is no longer in the file but is still scheduled: cancel it on its page if it "
            "should not go out.",
        ),
        "web.import.cancelled": (
            "Bài “{key}” đã bị hủy trước đây; mở trang của bài để đăng lại nếu muốn.",
            "Post “{key}” was cancelled earlier; open its page to send it again.",
        ),
        "web.import.waiting": (
            "{n} lượt đăng đang chờ duyệt.",
            "{n} deliveries await approval.",
        ),
    }
)

router = APIRouter()


def _size(n: int) -> str:
    return f"{n / 1_000_000:g} MB" if n >= 1_000_000 else f"{n / 1000:g} kB"


def _page(request: Request, viewer: Viewer, status_code: int = 200, **extra: Any) -> HTMLResponse:
    ctx = web(request)
    values: dict[str, Any] = dict(
        error=None,
        check=None,
        result=None,
        unit=viewer.user.unit or DEFAULT_UNIT,
        units=known_units(ctx.store) if viewer.units is None else [],
        max_size=_size(ctx.settings.schedule_max_bytes),
        media_folder=str(media_dir(ctx.settings).resolve()),
        columns=", ".join(TEMPLATE_COLUMNS),
        ttl_hours=int(PENDING_TTL.total_seconds() // 3600),
        paused=pause_banner(request),
    )
    values.update(extra)
    return render(request, "import.html", viewer, status_code=status_code, **values)


def _unit(viewer: Viewer, chosen: str) -> str:
    """The unit new posts go into: the viewer's own; an admin picks one."""
    if viewer.units is None:
        return validate_unit(chosen) or DEFAULT_UNIT
    return viewer.user.unit or DEFAULT_UNIT


@router.get("/import", name="import", response_class=HTMLResponse)
def import_page(request: Request, viewer: Annotated[Viewer, Depends(page("import"))]) -> Response:
    return _page(request, viewer)


@router.post("/import", name="import_submit", response_class=HTMLResponse)
def import_submit(
    request: Request,
    viewer: Annotated[Viewer, Depends(page("import_submit"))],
    action: Annotated[str, Form()] = "check",
    file: Annotated[UploadFile | None, File()] = None,
    unit: Annotated[str, Form()] = "",
    upload: Annotated[str, Form()] = "",
) -> Response:
    ctx = web(request)
    try:
        if action == "check":
            if file is None or not file.filename:
                raise UserError(msg("web.import.no_file"))
            into = _unit(viewer, unit)
            pending = save_upload(ctx.settings, file.file, file.filename, viewer.user, into)
            check = check_import(ctx.store, ctx.settings, pending)
            return _page(request, viewer, 200 if check.clean else 400, check=check, unit=into)
        if action == "confirm":
            try:
                pending = pending_import(ctx.settings, upload, viewer.user)
            except NotFound:
                raise HTTPException(status_code=404) from None
            viewer.require_unit(pending.unit)  # the viewer's unit changed since the upload
            check, result = confirm_import(ctx.store, ctx.settings, pending, viewer.user.name)
            if result is None:
                return _page(request, viewer, 400, check=check, unit=pending.unit)
            return _page(request, viewer, check=check, result=result, unit=pending.unit)
        raise UserError(msg("web.import.bad_action"))
    except UserError as exc:
        return _page(request, viewer, 400, error=str(exc))


@router.get("/import/template.csv", name="import_template")
def import_template(viewer: Annotated[Viewer, Depends(page("import_template"))]) -> Response:
    return Response(
        template_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="mau-ke-hoach-dang-bai.csv"'},
    )


__all__ = ["router"]
