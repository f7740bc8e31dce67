"""The compose form's messages (``web.compose.e.*``), registered on import."""

from __future__ import annotations

from publisher.i18n import register

register(
    {
        "web.compose.e.title": ("Hãy nhập tiêu đề.", "Enter a title."),
        "web.compose.e.text": ("Hãy nhập nội dung bài.", "Enter the text of the post."),
        "web.compose.e.date": ("Hãy chọn ngày đăng.", "Choose the day."),
        "web.compose.e.time": ("Hãy chọn giờ đăng.", "Choose the time."),
        "web.compose.e.bad_date": (
            "Ngày “{value}” không hợp lệ: chọn trên lịch, hoặc viết NĂM-THÁNG-NGÀY, ví dụ 2026-04-30.",
            "“{value}” is not a date: pick it on the calendar, or write YEAR-MONTH-DAY, e.g. 2026-04-30.",
        ),
        "web.compose.e.bad_time": (
            "Giờ “{value}” không hợp lệ: viết GIỜ:PHÚT, ví dụ 07:30.",
            "“{value}” is not a time: write HOUR:MINUTE, e.g. 07:30.",
        ),
        "web.compose.e.grace": (
            "“{value}” không phải số giờ (ví dụ 6 hoặc 1,5).",
            "“{value}” is not a number of hours (e.g. 6 or 1.5).",
        ),
        "web.compose.e.past": (
            "Giờ đăng {when} đã qua, quá cả {grace} cho phép đăng muộn: bài sẽ không được đăng. "
            "Chọn một thời điểm sắp tới.",
            "{when} has passed, beyond the {grace} late-publish window too: the post would never go out. "
            "Choose a time to come.",
        ),
        "web.compose.e.no_targets": (
            "Chọn ít nhất một nơi đăng.",
            "Choose at least one account to publish to.",
        ),
        "web.compose.e.unknown_target": (
            "Không còn tài khoản {target}: bỏ chọn nó.",
            "There is no account {target} any more: leave it out.",
        ),
        "web.compose.e.mixed_units": (
            "Một bài chỉ đăng lên tài khoản của một đơn vị; đang chọn tài khoản của {units}.",
            "A post goes to the accounts of one unit only; the accounts chosen belong to {units}.",
        ),
        "web.compose.e.other_unit": (
            "Bài thuộc đơn vị “{unit}”: chỉ chọn được tài khoản của đơn vị này.",
            "The post belongs to unit “{unit}”: choose accounts of that unit only.",
        ),
        "web.compose.e.id_taken": (
            "Mã bài “{key}” đã có; đặt mã khác, hoặc để trống để tự đặt.",
            "Post id “{key}” is taken; choose another, or leave it empty to get one.",
        ),
        "web.compose.e.bad_id": (
            "Mã bài “{value}” không hợp lệ: chỉ dùng chữ không dấu, số, “-”, “_”, “.” (tối đa 100 ký tự).",
            "Invalid post id “{value}”: use unaccented letters, digits, “-”, “_”, “.” (at most 100).",
        ),
        "web.compose.e.not_photo": ("{name} không phải là ảnh.", "{name} is not a photo."),
        "web.compose.e.not_video": ("{name} không phải là video.", "{name} is not a video."),
        "web.compose.e.story_photos": (
            "Cần ít nhất một ảnh để làm video từ ảnh.",
            "A photo story needs at least one photo.",
        ),
        "web.compose.e.story_and_video": (
            "Bài đã có video tải lên: bỏ video đó, hoặc bỏ chọn “làm video từ ảnh”.",
            "The post has an uploaded video: remove it, or untick “make a video from the photos”.",
        ),
    }
)
