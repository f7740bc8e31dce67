"""The import page: the same check as ``publisher queue --check``, an import only on confirmation,
idempotent re-imports, the Excel encoding hint, the CSV template, units, and who may confirm."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image

from publisher.actions.imports import TEMPLATE_COLUMNS, imports_dir, media_dir
from publisher.core.models import Target
from publisher.core.people import Role
from publisher.settings import Settings
from publisher.store import Store
from tests.web.conftest import add_user, sign_in

OFFICER, OTHER_OFFICER, FAR_OFFICER, ADMIN = "Cán Bộ An", "Cán Bộ Bình", "Cán Bộ Xa", "Quản Trị"
PAGE = "facebook/ubnd-hanh-dich"
FAR_PAGE = "facebook/ubnd-xa-khac"
FAR = "xa-khac"
HEAD = "id,at,title,text,targets,images\n"


def office(store: Store) -> None:
    add_user(store, OFFICER, Role.OFFICER)
    add_user(store, OTHER_OFFICER, Role.OFFICER)
    add_user(store, FAR_OFFICER, Role.OFFICER, unit=FAR)
    add_user(store, ADMIN, Role.ADMIN)
    store.add_account(Target.parse(PAGE), ADMIN)
    store.add_account(Target.parse(FAR_PAGE), ADMIN, unit=FAR)


def when(days: int = 20) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%d 07:00")


def plan_csv(title: str = "Kỷ niệm Ngày Giải phóng miền Nam", target: str = PAGE, images: str = "") -> bytes:
    rows = [
        f"giai-phong,{when()},{title},Chào mừng ngày thống nhất đất nước.,{target},{images}",
        f"quoc-khanh,{when(30)},Quốc khánh 2/9,Treo cờ Tổ quốc từ ngày 1/9.,{target},",
    ]
    return (HEAD + "\n".join(rows) + "\n").encode("utf-8")


def upload(client: TestClient, csrf: str, data: bytes, name: str = "ke-hoach.csv", **form: str) -> Any:
    return client.post(
        "/import",
        data={"csrf": csrf, "action": "check", **form},
        files={"file": (name, data, "text/csv")},
    )


def upload_id(html: str) -> str:
    found = re.search(r'name="upload" value="([^"]+)"', html)
    assert found, "no confirm form on the page"
    return found.group(1)


def confirm(client: TestClient, csrf: str, upload: str) -> Any:
    return client.post("/import", data={"csrf": csrf, "action": "confirm", "upload": upload})


def keys(store: Store) -> set[str]:
    return {r.key for r in store.deliveries()}


def second_client(client: TestClient) -> TestClient:
    return TestClient(client.app, follow_redirects=False)


def test_the_page_explains_the_form_media_folder_and_template(
    client: TestClient, web_store: Store, web_settings: Settings
) -> None:
    office(web_store)
    sign_in(client, OFFICER)
    page = client.get("/import")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text and 'type="file"' in page.text
    assert '<label for="import-file">' in page.text
    assert str(media_dir(web_settings).resolve()) in page.text  # where relative media paths are found
    assert "/import/template.csv" in page.text
    assert 'name="unit"' not in page.text  # an officer imports into their own unit


def test_a_file_with_errors_shows_each_with_line_post_and_field_and_imports_nothing(
    client: TestClient, web_store: Store, web_settings: Settings
) -> None:
    office(web_store)
    csrf = sign_in(client, OFFICER)
    bad = (
        HEAD
        + f"bai-tot,{when()},Bài tốt,Nội dung,{PAGE},\n"
        + f"bai-sai-gio,31/02/2026 07:00,Giờ sai,Nội dung,{PAGE},\n"
        + f"bai-sai-trang,{when()},Trang lạ,Nội dung,facebook/khong-co,\n"
        + f"bai-thieu-anh,{when()},Thiếu ảnh,Nội dung,{PAGE},30-4/khong-co.jpg\n"
    ).encode()
    r = upload(client, csrf, bad)
    assert r.status_code == 400
    rows = re.findall(r"<tr class=\"issue-error\">(.*?)</tr>", r.text, re.S)
    cells = [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in rows
    ]
    by_post = {c[1]: c for c in cells}
    assert by_post["bai-sai-gio"][:3] == ["3", "bai-sai-gio", "at"], cells
    assert by_post["bai-sai-trang"][:3] == ["4", "bai-sai-trang", "targets"], cells
    assert by_post["bai-thieu-anh"][:3] == ["5", "bai-thieu-anh", "images"], cells
    # a relative media path is looked for in the data dir's media folder, with the CLI's message
    assert str(media_dir(web_settings).resolve() / "30-4" / "khong-co.jpg") in by_post["bai-thieu-anh"][3]
    assert 'name="upload"' not in r.text  # no confirmation for a file with errors
    assert keys(web_store) == set()


def test_a_clean_file_shows_the_plan_imports_on_confirm_and_again_changes_nothing(
    client: TestClient, web_store: Store, web_settings: Settings
) -> None:
    office(web_store)
    photo = media_dir(web_settings) / "30-4" / "anh-1.jpg"
    photo.parent.mkdir(parents=True)
    Image.new("RGB", (1200, 800), (200, 30, 30)).save(photo, "JPEG")
    csrf = sign_in(client, OFFICER)
    data = plan_csv(images="30-4/anh-1.jpg")

    checked = upload(client, csrf, data)
    assert checked.status_code == 200, checked.text
    assert checked.text.count("outcome outcome-new") == 2
    assert keys(web_store) == set()  # a check writes nothing
    pending = upload_id(checked.text)
    assert (imports_dir(web_settings) / pending).is_dir()

    done = confirm(client, csrf, pending)
    assert done.status_code == 200, done.text
    assert 'href="/posts/giai-phong"' in done.text and 'href="/posts/quoc-khanh"' in done.text
    assert keys(web_store) == {"giai-phong", "quoc-khanh"}
    post = web_store.post_detail("giai-phong")["post"]
    assert post.queued_by == OFFICER and post.unit == "default"
    assert post.images == [str(photo.resolve())]  # the relative path, found in the media folder
    assert not (imports_dir(web_settings) / pending).exists()  # confirmed: the upload is gone
    trail = len(web_store.post_detail("giai-phong")["audit"])

    again = upload(client, csrf, data)
    assert again.status_code == 200
    assert again.text.count("outcome outcome-unchanged") == 2 and "outcome-new" not in again.text
    done = confirm(client, csrf, upload_id(again.text))
    assert "Không đổi: 2 bài" in done.text
    assert len(web_store.post_detail("giai-phong")["audit"]) == trail  # nothing written

    edited = upload(
        client, csrf, plan_csv(title="Kỷ niệm 51 năm Ngày Giải phóng miền Nam", images="30-4/anh-1.jpg")
    )
    assert edited.text.count("outcome outcome-changed") == 1 and "(title)" in edited.text
    done = confirm(client, csrf, upload_id(edited.text))
    assert web_store.post_detail("giai-phong")["post"].title == "Kỷ niệm 51 năm Ngày Giải phóng miền Nam"
    assert "(title)" in done.text  # the store's report names the same field the plan did


def test_a_csv_saved_by_excel_in_another_encoding_gets_the_save_as_utf8_hint(
    client: TestClient, web_store: Store
) -> None:
    office(web_store)
    csrf = sign_in(client, OFFICER)
    text = HEAD + f"bai-1,{when()},Quốc khánh,Chào mừng,{PAGE},\n"
    for encoded in (text.encode("cp1258", errors="replace"), text.encode("utf-16")):
        r = upload(client, csrf, encoded)
        assert r.status_code == 400
        assert "CSV UTF-8 (Comma delimited)" in r.text
        assert 'name="upload"' not in r.text
    assert keys(web_store) == set()


def test_the_template_downloads_and_checks_clean_once_its_target_is_ours(
    client: TestClient, web_store: Store
) -> None:
    office(web_store)
    csrf = sign_in(client, OFFICER)
    r = client.get("/import/template.csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel reads it right
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == 1 and tuple(rows[0]) == TEMPLATE_COLUMNS
    assert "Quốc khánh" in rows[0]["title"]
    as_is = upload(client, csrf, r.content, "mau.csv")
    assert as_is.status_code == 400 and "targets" in as_is.text  # its example targets are not ours
    rows[0]["targets"] = PAGE
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=TEMPLATE_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    checked = upload(client, csrf, buf.getvalue().encode("utf-8-sig"), "mau.csv")
    assert checked.status_code == 200, checked.text
    assert 'name="upload"' in checked.text


def test_a_yaml_plan_is_checked_and_imported_too(client: TestClient, web_store: Store) -> None:
    office(web_store)
    csrf = sign_in(client, OFFICER)
    yaml = (
        "timezone: Asia/Ho_Chi_Minh\n"
        f"defaults:\n  targets: [{PAGE}]\n"
        "posts:\n"
        f"  - id: ngay-nha-giao\n    at: {when()}\n    title: Ngày Nhà giáo Việt Nam\n    text: Tri ân thầy cô.\n"
    ).encode()
    checked = upload(client, csrf, yaml, "ke-hoach.yaml")
    assert checked.status_code == 200, checked.text
    confirm(client, csrf, upload_id(checked.text))
    assert keys(web_store) == {"ngay-nha-giao"}


def test_another_user_cannot_confirm_my_pending_import(client: TestClient, web_store: Store) -> None:
    office(web_store)
    csrf = sign_in(client, OFFICER)
    pending = upload_id(upload(client, csrf, plan_csv()).text)
    with second_client(client) as other:
        other_csrf = sign_in(other, OTHER_OFFICER)  # the same unit, another person
        assert confirm(other, other_csrf, pending).status_code == 404
        assert confirm(other, other_csrf, "../" + pending).status_code == 404
    assert keys(web_store) == set()
    assert confirm(client, csrf, pending).status_code == 200  # still mine to confirm
    assert keys(web_store) == {"giai-phong", "quoc-khanh"}
    assert confirm(client, csrf, pending).status_code == 404  # and only once


def test_an_expired_upload_must_be_uploaded_again(
    client: TestClient, web_store: Store, web_settings: Settings
) -> None:
    office(web_store)
    csrf = sign_in(client, OFFICER)
    pending = upload_id(upload(client, csrf, plan_csv()).text)
    meta = imports_dir(web_settings) / pending / "import.json"
    values = json.loads(meta.read_text())
    values["created"] = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    meta.write_text(json.dumps(values))
    r = confirm(client, csrf, pending)
    assert r.status_code == 400 and "24" in r.text
    assert keys(web_store) == set()
    assert not (imports_dir(web_settings) / pending).exists()


def test_targets_of_another_unit_are_refused_and_an_admin_picks_the_unit(
    client: TestClient, web_store: Store
) -> None:
    office(web_store)
    csrf = sign_in(client, OFFICER)
    # an officer imports into their own unit, whatever the form says
    r = upload(client, csrf, plan_csv(target=FAR_PAGE), unit=FAR)
    assert r.status_code == 400
    assert "targets" in r.text and FAR_PAGE in r.text and 'name="upload"' not in r.text
    with second_client(client) as far:
        far_csrf = sign_in(far, FAR_OFFICER)
        r = upload(far, far_csrf, plan_csv(target=PAGE))
        assert r.status_code == 400 and 'name="upload"' not in r.text
    assert keys(web_store) == set()

    with second_client(client) as admin:
        admin_csrf = sign_in(admin, ADMIN)
        page = admin.get("/import")
        assert 'name="unit"' in page.text and f'value="{FAR}"' in page.text
        r = upload(admin, admin_csrf, plan_csv(target=FAR_PAGE), unit=FAR)
        assert r.status_code == 200, r.text
        assert confirm(admin, admin_csrf, upload_id(r.text)).status_code == 200
    assert web_store.post_detail("giai-phong")["post"].unit == FAR
    # the officer of the default unit may not take that post over with a file of the same ids
    r = upload(client, csrf, plan_csv())
    assert r.status_code == 400 and "giai-phong" in r.text and 'name="upload"' not in r.text


def test_submit_needs_the_csrf_token(client: TestClient, web_store: Store, web_settings: Settings) -> None:
    office(web_store)
    csrf = sign_in(client, OFFICER)
    r = client.post(
        "/import", data={"action": "check"}, files={"file": ("ke-hoach.csv", plan_csv(), "text/csv")}
    )
    assert r.status_code == 403
    assert not imports_dir(web_settings).exists() or not any(imports_dir(web_settings).iterdir())
    pending = upload_id(upload(client, csrf, plan_csv()).text)
    r = client.post("/import", data={"csrf": "sai", "action": "confirm", "upload": pending})
    assert r.status_code == 403
    assert keys(web_store) == set()


def test_a_file_too_big_or_of_another_kind_is_refused_with_a_message(
    client: TestClient, web_store: Store, web_settings: Settings
) -> None:
    office(web_store)
    csrf = sign_in(client, OFFICER)
    big = upload(client, csrf, plan_csv() + b"#" * web_settings.schedule_max_bytes)
    assert big.status_code == 400 and str(web_settings.schedule_max_bytes) in big.text
    other = upload(client, csrf, b"%PDF-1.4", "ke-hoach.pdf")
    assert other.status_code == 400 and ".csv" in other.text
    empty = client.post("/import", data={"csrf": csrf, "action": "check"})
    assert empty.status_code == 400
    assert not imports_dir(web_settings).exists() or not any(imports_dir(web_settings).iterdir())


def test_signed_out_is_sent_to_sign_in(client: TestClient, web_store: Store) -> None:
    assert client.get("/import").status_code == 303
    assert client.get("/import/template.csv").status_code == 303


def test_uploads_left_unconfirmed_are_swept_after_a_day(
    client: TestClient, web_store: Store, web_settings: Settings
) -> None:
    office(web_store)
    csrf = sign_in(client, OFFICER)
    old = upload_id(upload(client, csrf, plan_csv()).text)
    day_before = (datetime.now(UTC) - timedelta(days=2)).timestamp()
    os.utime(imports_dir(web_settings) / old, (day_before, day_before))
    fresh = upload_id(upload(client, csrf, plan_csv()).text)
    assert not (imports_dir(web_settings) / old).exists()
    assert (imports_dir(web_settings) / fresh).is_dir()


def test_a_post_the_review_blocks_fails_the_check_as_queue_check_does(
    client: TestClient, web_store: Store
) -> None:
    office(web_store)
    csrf = sign_in(client, OFFICER)
    data = (HEAD + f"bai-mat,{when()},Báo cáo,Tài liệu TUYỆT MẬT của xã,{PAGE},\n").encode()
    r = upload(client, csrf, data)
    assert r.status_code == 400
    assert 'class="issue-block"' in r.text and "TUYỆT MẬT" in r.text
    assert 'name="upload"' not in r.text
