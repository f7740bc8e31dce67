"""The weekly report as one self-contained HTML page: tables and charts (PNG data URIs), print-friendly."""

from __future__ import annotations

import base64
import html
from typing import Any

from publisher.i18n import language, t
from publisher.reports.charts import all_charts
from publisher.reports.model import Section, WeeklyReport

#: each chart is shown above the table it illustrates
CHART_SECTION = {"status": "status", "views": "platforms", "top": "top", "followers": "followers"}

CSS = """
body { font-family: "Noto Sans", "DejaVu Sans", Arial, sans-serif; color: #111; margin: 2em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #999; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
th, td { border: 1px solid #888; padding: 3px 6px; vertical-align: top; }
th { background: #e8ecf4; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0; page-break-inside: avoid; break-inside: avoid; }
figure img { max-width: 100%; height: auto; }
.note { color: #444; font-size: 0.9em; }
@media print {
  body { margin: 0; } a { color: #000; text-decoration: none; }
  a[href]::after { content: " (" attr(href) ")"; font-size: 0.75em; word-break: break-all; }
  table, tr { page-break-inside: avoid; break-inside: avoid; }
  th { background: none; }
}
"""


def _cell(value: Any, link: bool) -> str:
    if value is None:
        return '<td class="num">—</td>'
    if isinstance(value, int | float):
        return f'<td class="num">{value}</td>'
    text = html.escape(str(value))
    if link:
        return f'<td><a href="{text}">{text}</a></td>'
    return f"<td>{text}</td>"


def _table(section: Section) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in section.columns)
    body = "\n".join(
        "<tr>" + "".join(_cell(v, i == section.link_column) for i, v in enumerate(row)) + "</tr>"
        for row in section.rows
    )
    return (
        f'<table data-section="{section.key}"><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>'
    )


def render_html(report: WeeklyReport) -> str:
    figures: dict[str, str] = {}
    for key, title, png in all_charts(report.charts):
        data = base64.b64encode(png).decode("ascii")
        figures[CHART_SECTION[key]] = (
            f'<figure data-chart="{key}"><img alt="{html.escape(title)}" src="data:image/png;base64,{data}"></figure>'
        )
    sections = "\n".join(
        f"<h2>{html.escape(sec.title)}</h2>\n{figures.get(sec.key, '')}\n{_table(sec)}"
        for sec in report.sections
    )
    generated = report.generated
    return f"""<!DOCTYPE html>
<html lang="{language()}">
<head><meta charset="utf-8"><title>{html.escape(report.title)}</title><style>{CSS}</style></head>
<body>
<h1>{html.escape(report.title)}</h1>
<p class="note">{html.escape(generated)}</p>
<p class="note">{html.escape(t("report.note"))}</p>
{sections}
</body>
</html>
"""
