"""The weekly report as one CSV file: the title and "generated at" (local time) rows, then each
section as a blank row, a title row, a header row and its rows.

Numbers are written as plain numbers (no thousands separator); a figure not reported is empty.
"""

from __future__ import annotations

import csv
import io

from publisher.reports.model import WeeklyReport


def render_csv(report: WeeklyReport) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([report.title])
    writer.writerow([report.generated])
    for section in report.sections:
        writer.writerow([])
        writer.writerow([section.title])
        writer.writerow(section.columns)
        for row in section.rows:
            writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue()
