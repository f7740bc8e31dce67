"""Charts of the weekly report: one PNG per chart, drawn with matplotlib's Agg backend (no display).

Each function returns PNG bytes, or ``None`` when there is nothing to draw. Sized for an A4 page
and drawn in dark colours and hatching so that they stay readable on a black-and-white printer.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from publisher.i18n import register, t

if TYPE_CHECKING:
    from matplotlib.figure import Figure

register(
    {
        "chart.views.title": ("Lượt xem theo nền tảng", "Views per platform"),
        "chart.status.title": ("Tình hình đăng bài theo nền tảng", "Publishing by platform"),
        "chart.top.title": ("Bài nổi bật (lượt xem)", "Top posts (views)"),
        "chart.followers.title": ("Người theo dõi theo tài khoản", "Followers per account"),
        "chart.on_time": ("Đăng đúng giờ", "On time"),
    }
)


def _figure() -> Any:
    """A new figure drawn by the Agg canvas (no display, no pyplot: safe from several threads)."""
    # matplotlib loads only when a chart is drawn: start-up time and memory (about 40 MB) elsewhere
    from matplotlib.figure import Figure

    fig = Figure(figsize=SIZE)
    return fig, fig.subplots()


SIZE = (7.0, 3.6)
DPI = 110
COLOURS = ("#1f3b73", "#9bb0d6", "#444444", "#c0392b", "#e67e22", "#7f8c8d")
HATCHES = ("", "//", "..", "xx", "\\\\", "--")


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _grouped(
    title: str, groups: dict[str, tuple[int | None, int | None]], legend: tuple[str, str]
) -> bytes | None:
    if not groups or all(a is None and b is None for a, b in groups.values()):
        return None
    fig, ax = _figure()
    names = list(groups)
    xs = range(len(names))
    width = 0.38
    for i, lab in enumerate(legend):
        values = [(groups[n][i] or 0) for n in names]
        bars = ax.bar(
            [x + (i - 0.5) * width for x in xs],
            values,
            width,
            label=lab,
            color=COLOURS[i],
            hatch=HATCHES[i],
            edgecolor="black",
        )
        ax.bar_label(
            bars, labels=["—" if groups[n][i] is None else str(groups[n][i]) for n in names], fontsize=8
        )
    ax.set_xticks(list(xs), names)
    ax.set_title(title)
    ax.legend()
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def views_chart(data: dict[str, tuple[int | None, int | None]]) -> bytes | None:
    return _grouped(t("chart.views.title"), data, (t("report.col.this_week"), t("report.col.previous_week")))


def followers_chart(data: dict[str, tuple[int | None, int | None]]) -> bytes | None:
    return _grouped(
        t("chart.followers.title"), data, (t("report.col.followers_end"), t("report.col.followers_prev"))
    )


def status_chart(data: dict[str, list[int]]) -> bytes | None:
    if not data:
        return None
    keys = ("published", "late", "missed", "failed", "needs_reauth")
    fig, ax = _figure()
    names = list(data)
    # "late" is a part of "published": draw on time + late + the rest, stacked
    series = {
        "published": [data[n][0] - data[n][1] for n in names],
        "late": [data[n][1] for n in names],
        "missed": [data[n][2] for n in names],
        "failed": [data[n][3] for n in names],
        "needs_reauth": [data[n][4] for n in names],
    }
    bottom = [0] * len(names)
    for i, key in enumerate(keys):
        ax.barh(
            names,
            series[key],
            left=bottom,
            label=t("chart.on_time") if key == "published" else t(f"report.col.{key}"),
            color=COLOURS[i],
            hatch=HATCHES[i],
            edgecolor="black",
        )
        bottom = [b + v for b, v in zip(bottom, series[key], strict=True)]
    ax.set_title(t("chart.status.title"))
    from matplotlib.ticker import MaxNLocator  # loaded with matplotlib, only when drawing

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def top_chart(data: list[tuple[str, Any]]) -> bytes | None:
    if not data:
        return None
    fig, ax = _figure()
    names = [n for n, _ in data][::-1]
    values = [v for _, v in data][::-1]
    bars = ax.barh(names, values, color=COLOURS[0], edgecolor="black")
    ax.bar_label(bars, fontsize=8)
    ax.set_title(t("chart.top.title"))
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def all_charts(charts: dict[str, Any]) -> list[tuple[str, str, bytes]]:
    """(key, title, png) for every chart that has data, in report order."""
    made = [
        ("status", t("chart.status.title"), status_chart(charts.get("status") or {})),
        ("views", t("chart.views.title"), views_chart(charts.get("views") or {})),
        ("top", t("chart.top.title"), top_chart(charts.get("top") or [])),
        ("followers", t("chart.followers.title"), followers_chart(charts.get("followers") or {})),
    ]
    return [(k, title, png) for k, title, png in made if png is not None]
