"""The weekly report as an XLSX workbook: a first sheet with the title, when it was made (local
time) and how to read it, then one sheet per section, numbers as numbers (officers sum them)."""

from __future__ import annotations

import io

from publisher.i18n import language, t
from publisher.reports.model import WeeklyReport

#: sheet names: at most 31 characters, none of []:*?/\
SHEET_KEYS = {
    "about": ("Thông tin chung", "About"),
    "status": ("Tình hình đăng", "Publishing"),
    "deliveries": ("Lượt đăng", "Deliveries"),
    "posts": ("Tương tác theo bài", "Per post"),
    "platforms": ("Theo nền tảng", "Per platform"),
    "top": ("Bài nổi bật", "Top posts"),
    "campaigns": ("Chiến dịch", "Campaigns"),
    "followers": ("Người theo dõi", "Followers"),
}


def sheet_name(key: str) -> str:
    vi, en = SHEET_KEYS.get(key, (key, key))
    return (en if language() == "en" else vi)[:31]


def render_xlsx(report: WeeklyReport) -> bytes:
    # openpyxl (and the numpy it pulls in) loads only when a workbook is written: start-up time
    # and about 35 MB of every process that never writes one (the web app, the workers)
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    bold = Font(bold=True)
    about = wb.create_sheet(sheet_name("about"))
    for line in (report.title, report.generated, t("report.note")):
        about.append([line])
    about["A1"].font = Font(bold=True, size=13)
    about.column_dimensions["A"].width = 120
    for section in report.sections:
        ws = wb.create_sheet(sheet_name(section.key))
        ws.append([section.title])
        ws["A1"].font = Font(bold=True, size=13)
        ws.append(section.columns)
        for cell in ws[2]:
            cell.font = bold
        for row in section.rows:
            ws.append(list(row))
            if section.link_column is not None:
                link = row[section.link_column]
                if link:
                    cell = ws.cell(row=ws.max_row, column=section.link_column + 1)
                    cell.hyperlink = str(link)
                    cell.style = "Hyperlink"
        for idx, col in enumerate(section.columns, start=1):
            width = max(
                [len(str(col))] + [len(str(r[idx - 1])) for r in section.rows if r[idx - 1] is not None]
            )
            ws.column_dimensions[get_column_letter(idx)].width = min(60, max(10, width + 2))
        ws.freeze_panes = "A3"
    wb.properties.title = report.title
    wb.properties.creator = "publisher"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
