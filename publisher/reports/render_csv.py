"""The weekly report as one CSV file: each section is a title row, a header row, its rows, a blank row.

Numbers are written as plain numbers (no thousands separator); a figure not reported is empty.
"""

from __future__ import annotations

import csv
import io

from publisher.reports.weekly import WeeklyReport


def render_csv(report: WeeklyReport) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([report.title])
    for section in report.sections:
        writer.writerow([])
        writer.writerow([section.title])
        writer.writerow(section.columns)
        for row in section.rows:
            writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue()
