"""The schedule's messages (``sched.*``) in Vietnamese and English, registered on import."""

from __future__ import annotations

from publisher.i18n import register

register(
    {
        "sched.problem": ("{where}{post}{field}: {message}", "{where}{post}{field}: {message}"),
        "sched.failed": (
            "Tệp lịch có {n} lỗi, chưa ghi gì vào cơ sở dữ liệu. Sửa các lỗi dưới đây rồi chạy lại:",
            "The schedule has {n} error(s); nothing was written. Fix the following and run again:",
        ),
        "sched.cannot_read": ("Không đọc được tệp: {error}", "Cannot read the file: {error}"),
        "sched.not_utf8": (
            "Tệp không phải UTF-8. Hãy lưu lại tệp với bảng mã UTF-8 (Unicode).",
            "The file is not UTF-8. Save it again with the UTF-8 (Unicode) encoding.",
        ),
        "sched.yaml_syntax": ("Lỗi cú pháp YAML: {error}", "YAML syntax error: {error}"),
        "sched.top_mapping": (
            "Tệp lịch phải là một bảng (mapping) có khóa “posts”.",
            "A schedule file must be a mapping with a “posts” key.",
        ),
        "sched.unknown_field": (
            "Trường “{name}” không được hỗ trợ. Các trường hợp lệ: {allowed}.",
            "Unknown field “{name}”. Allowed fields: {allowed}.",
        ),
        "sched.expected_list": ("Phải là một danh sách.", "Must be a list."),
        "sched.expected_mapping": ("Phải là một bảng (mapping).", "Must be a mapping."),
        "sched.expected_text": ("Phải là một đoạn văn bản.", "Must be text."),
        "sched.no_posts": (
            "Tệp lịch không có bài nào trong “posts”.",
            "The schedule has no posts under “posts”.",
        ),
        "sched.missing": ("Thiếu trường bắt buộc “{name}”.", "Missing required field “{name}”."),
        "sched.bad_id": (
            "Mã bài “{value}” không hợp lệ: chỉ dùng chữ không dấu, số, “-”, “_”, “.” (tối đa 100 ký tự).",
            "Invalid post id “{value}”: use unaccented letters, digits, “-”, “_”, “.” (at most 100).",
        ),
        "sched.duplicate_id": (
            "Mã bài “{value}” bị trùng (đã dùng ở dòng {line}).",
            "Duplicate post id “{value}” (already used on line {line}).",
        ),
        "sched.bad_time": (
            "Thời điểm “{value}” không hợp lệ: viết dạng NĂM-THÁNG-NGÀY GIỜ:PHÚT, ví dụ 2025-04-30 07:00.",
            "Invalid time “{value}”: write YEAR-MONTH-DAY HOUR:MINUTE, e.g. 2025-04-30 07:00.",
        ),
        "sched.bad_tz": (
            "Múi giờ “{value}” không tồn tại (ví dụ: Asia/Ho_Chi_Minh).",
            "Unknown time zone “{value}” (e.g. Asia/Ho_Chi_Minh).",
        ),
        "sched.past_known": (
            "Thời điểm {when} đã qua (quá {grace} cho phép đăng muộn); bài này đã có trong lịch: nạp lại không "
            "đăng thêm gì.",
            "{when} has passed (beyond the {grace} late-publish window); this post is already queued: loading "
            "it again sends nothing more.",
        ),
        "sched.past": (
            "Thời điểm {when} đã qua (quá cả {grace} cho phép đăng muộn): bài này sẽ không được đăng. "
            "Đổi “at” sang một thời điểm trong tương lai hoặc bỏ bài này.",
            "{when} has passed (beyond the {grace} late-publish window too): this post would never go out. "
            "Move “at” to a future time or remove the post.",
        ),
        "sched.late": (
            "Thời điểm {when} đã qua; bài sẽ được đăng muộn ngay khi được duyệt (còn trong {grace} cho phép).",
            "{when} has passed; the post will go out late as soon as it is approved (within the {grace} window).",
        ),
        "sched.bad_duration": (
            "Khoảng thời gian “{value}” không hợp lệ: viết như 90m, 6h hoặc 1d.",
            "Invalid duration “{value}”: write e.g. 90m, 6h or 1d.",
        ),
        "sched.bad_target": (
            "Tài khoản “{value}” không hợp lệ: viết dạng nền-tảng/tên, ví dụ facebook/ubnd-hanh-dich "
            "(nền tảng: facebook, youtube, zalo, sandbox).",
            "Invalid target “{value}”: write platform/name, e.g. facebook/ubnd-hanh-dich "
            "(platforms: facebook, youtube, zalo, sandbox).",
        ),
        "sched.unknown_account": (
            "Chưa có tài khoản “{value}”. Thêm bằng “publisher accounts add {value}” hoặc sửa tên.",
            "No account “{value}”. Add it with “publisher accounts add {value}” or fix the name.",
        ),
        "sched.no_targets": (
            "Bài chưa có nơi đăng (“targets”), kể cả trong “defaults”.",
            "The post has no “targets”, not even in “defaults”.",
        ),
        "sched.media_missing": (
            "Không tìm thấy tệp “{value}” (đã tìm ở {path}).",
            "File “{value}” not found (looked at {path}).",
        ),
        "sched.media_outside": (
            "Đường dẫn “{value}” nằm ngoài thư mục của tệp lịch và các thư mục media được phép "
            "(PUBLISHER_MEDIA_ROOTS). Hãy chép tệp vào thư mục của lịch.",
            "Path “{value}” is outside the schedule's folder and the allowed media roots "
            "(PUBLISHER_MEDIA_ROOTS). Copy the file next to the schedule.",
        ),
        "sched.media_not_file": ("“{value}” không phải là tệp.", "“{value}” is not a file."),
        "sched.bad_bool": ("Phải là true hoặc false.", "Must be true or false."),
        "sched.empty_text": ("Không được để trống.", "Must not be empty."),
        "sched.nfc": (
            "Văn bản chưa ở dạng Unicode dựng sẵn (NFC); đã tự chuẩn hóa.",
            "Text was not in Unicode NFC form; it has been normalised.",
        ),
        "sched.csv_header": (
            "Dòng tiêu đề CSV phải có các cột id, at, title, text (cột lạ: {unknown}).",
            "The CSV header must have the columns id, at, title, text (unknown: {unknown}).",
        ),
        "sched.too_big": (
            "Tệp lịch lớn hơn {max} byte (PUBLISHER_SCHEDULE_MAX_BYTES): hãy chia thành nhiều tệp nhỏ hơn.",
            "The schedule is larger than {max} bytes (PUBLISHER_SCHEDULE_MAX_BYTES): split it into smaller files.",
        ),
        "sched.not_utf8_csv": (
            "Tệp CSV không phải UTF-8 (có lẽ được lưu bằng bảng mã Windows-1258 hay TCVN3). Trong Excel chọn "
            "Tệp → Lưu thành → “CSV UTF-8 (Comma delimited) (*.csv)” rồi nạp lại.",
            "The CSV file is not UTF-8 (probably saved as Windows-1258 or TCVN3). In Excel choose "
            "File → Save As → “CSV UTF-8 (Comma delimited) (*.csv)” and load it again.",
        ),
        "sched.yaml_alias": (
            "Không dùng neo và bí danh YAML (“&tên”, “*tên”, “<<: *tên”): hãy viết đầy đủ giá trị ở từng chỗ.",
            "YAML anchors and aliases (“&name”, “*name”, “<<: *name”) are not accepted: write each value out in full.",
        ),
        "sched.too_deep": (
            "Cấu trúc lồng quá sâu (quá {max} tầng danh sách hoặc bảng).",
            "Nested too deeply (more than {max} levels of lists or mappings).",
        ),
        "sched.duplicate_key": (
            "Khóa “{name}” bị trùng (đã có ở dòng {line}): chỉ giữ một.",
            "Duplicate key “{name}” (already on line {line}): keep only one.",
        ),
        "sched.csv_syntax": ("Lỗi định dạng CSV: {error}", "CSV format error: {error}"),
        "sched.csv_duplicate_column": (
            "Cột “{name}” bị trùng (có hai lần trong dòng tiêu đề): chỉ giữ một.",
            "Duplicate column “{name}” (twice in the header): keep only one.",
        ),
        "sched.csv_extra_cells": (
            "Dòng có {cells} ô nhưng tiêu đề chỉ có {columns} cột (dấu phẩy trong nội dung? Hãy đặt nội dung trong "
            "ngoặc kép).",
            "The row has {cells} cells but the header only {columns} columns (a comma inside a text? Put the text "
            "in double quotes).",
        ),
        "sched.csv_unnamed_cell": (
            "Ô thứ {index} có nội dung nhưng cột đó không có tên ở dòng tiêu đề.",
            "Cell {index} holds a value but its column has no name in the header.",
        ),
        "sched.csv_unterminated_quote": (
            'Dấu ngoặc kép mở ở dòng {line} không được đóng: mọi thứ sau nó bị đọc thành một ô. Thêm dấu " '
            'đóng ô đó (dấu " bên trong nội dung viết thành "").',
            "Unterminated quote starting at line {line}: everything after it reads as one cell. Add the closing "
            '" to that cell (a " inside the text is written "").',
        ),
        "sched.yaml_key": (
            "Khóa này không phải tên trường: tên trường phải là một chữ (ví dụ “text:”), không phải danh sách "
            "hay bảng.",
            "This key is not a field name: a field name is a plain word (e.g. “text:”), not a list or a mapping.",
        ),
        "sched.yaml_tag": (
            "Không dùng thẻ YAML {tag}: viết giá trị như chữ bình thường (cần thì đặt trong ngoặc kép).",
            "YAML tags such as {tag} are not accepted: write the value as plain text (in double quotes if needed).",
        ),
        "sched.bad_year": (
            "Năm {year} nằm ngoài khoảng cho phép {min}–{max}.",
            "Year {year} is outside the allowed range {min}–{max}.",
        ),
        "sched.grace_too_long": (
            "Thời gian cho phép đăng muộn “{value}” quá dài: tối đa {max}.",
            "Late-publish window “{value}” is too long: at most {max}.",
        ),
        "sched.too_long": (
            "Dài {length} ký tự, tối đa {max} ký tự.",
            "{length} characters long; at most {max} allowed.",
        ),
        "sched.control_char": (
            "Có ký tự điều khiển không in được ({code}) ở vị trí {position}: hãy xóa nó "
            "(thường do dán từ phần mềm khác).",
            "Holds an unprintable control character ({code}) at position {position}: remove it "
            "(often pasted from another program).",
        ),
        "sched.story_csv": (
            "Khối “story” (video từ ảnh) chỉ viết được trong tệp lịch YAML, không trong CSV: hãy chuyển bài "
            "này sang một tệp .yaml.",
            "A “story” block (photo video) can only be written in a YAML schedule, not in CSV: move this post "
            "to a .yaml file.",
        ),
        "sched.story_and_video": (
            "Bài có cả “video” và “story”: video của bài là video dựng từ ảnh; bỏ một trong hai.",
            "The post has both “video” and “story”: the story is the post's video; keep only one.",
        ),
        "sched.story_option": (
            "“options.story” không được dùng: viết khối “story:” của bài.",
            "“options.story” is not accepted: write the post's “story:” block.",
        ),
        "sched.dst_gap": (
            "Giờ {value} không có ở múi giờ {tz} (đồng hồ nhảy qua giờ này khi chuyển sang giờ mùa hè): "
            "bài sẽ được đăng lúc {shifted}.",
            "{value} does not exist in {tz} (the clocks skip it when daylight saving time starts): "
            "the post will go out at {shifted}.",
        ),
        "sched.dst_twice": (
            "Giờ {value} có hai lần ở múi giờ {tz} (khi hết giờ mùa hè): bài được đăng vào lần đầu, {utc} UTC.",
            "{value} happens twice in {tz} (when daylight saving time ends): the post goes out at the first, "
            "{utc} UTC.",
        ),
    }
)
