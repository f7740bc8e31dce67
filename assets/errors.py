"""Errors of media preparation, with the messages an officer reads (Vietnamese first)."""

from __future__ import annotations

from typing import Any

from publisher.errors import ConfigError, PublisherError, UserError
from publisher.i18n import msg, register

register(
    {
        "media.unreadable": (
            "Không đọc được tệp {name}: tệp hỏng hoặc không phải ảnh/video.",
            "Cannot read {name}: the file is damaged or not a photo or video.",
        ),
        "media.not_found": ("Không có tệp {name}.", "No such file: {name}."),
        "media.no_video_stream": (
            "Tệp {name} không có hình (không có luồng video).",
            "{name} has no picture (no video stream).",
        ),
        "media.too_short": (
            "Video {name} dài {duration} giây, {preset} cần ít nhất {min} giây.",
            "{name} is {duration} s long; {preset} needs at least {min} s.",
        ),
        "media.too_long": (
            "Video {name} dài {duration} giây, {preset} cho tối đa {max} giây.",
            "{name} is {duration} s long; {preset} allows at most {max} s.",
        ),
        "media.too_big_to_fit": (
            "Video {name} dài {duration} giây, không thể nén dưới {max_mb} MB cho {preset} mà vẫn xem được. "
            "Hãy cắt ngắn video.",
            "{name} is {duration} s long and cannot be compressed under {max_mb} MB for {preset} "
            "and stay watchable. Please cut it shorter.",
        ),
        "media.image_too_big": (
            "Không nén được ảnh {name} dưới {max_kb} KB cho {preset}.",
            "Cannot compress {name} under {max_kb} KB for {preset}.",
        ),
        "media.render_failed": (
            "Xử lý {name} cho {preset} không thành công (ffmpeg: {detail}).",
            "Preparing {name} for {preset} failed (ffmpeg: {detail}).",
        ),
        "media.render_timeout": (
            "Xử lý {name} cho {preset} quá {seconds} giây, đã dừng.",
            "Preparing {name} for {preset} took over {seconds} s and was stopped.",
        ),
        "media.cancelled": ("Đã huỷ xử lý {name}.", "Preparing {name} was cancelled."),
        "media.result_invalid": (
            "Tệp kết quả cho {preset} chưa đúng yêu cầu: {problems}",
            "The result for {preset} does not meet the requirements: {problems}",
        ),
        "media.unknown_preset": (
            "Không có mẫu xử lý {name}. Các mẫu có: {names}.",
            "No preset named {name}. Presets: {names}.",
        ),
        "media.wrong_kind": (
            "Mẫu {preset} dành cho {expected}, nhưng {name} là {actual}.",
            "Preset {preset} is for a {expected}, but {name} is a {actual}.",
        ),
        "media.kind.image": ("ảnh", "photo"),
        "media.kind.video": ("video", "video"),
        "media.tool_missing": (
            "Không tìm thấy chương trình {tool}. Hãy cài ffmpeg (apt-get install ffmpeg).",
            "Cannot find {tool}. Please install ffmpeg (apt-get install ffmpeg).",
        ),
        "media.bad_option": ("Tuỳ chọn không hợp lệ: {detail}", "Invalid option: {detail}"),
    }
)


class MediaError(UserError):
    """A media file that cannot be made right for a platform; the delivery fails, the worker goes on."""

    def __init__(self, key: str, /, **params: Any) -> None:
        super().__init__(msg(key, **params), **params)
        self.code = key.removeprefix("media.")


class RenderCancelled(PublisherError):
    """A render was cancelled by the caller; its ffmpeg process has been stopped."""

    def __init__(self, name: str) -> None:
        super().__init__(msg("media.cancelled", name=name))
        self.code = "cancelled"


class ToolMissing(ConfigError):
    """ffmpeg or ffprobe is not installed or not where the settings say."""

    def __init__(self, tool: str) -> None:
        super().__init__(msg("media.tool_missing", tool=tool))
