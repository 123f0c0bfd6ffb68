"""Reports as CSV and as hand-written SVG charts (a peak-hours heatmap, a usage trend bar chart).
Pure: values in, text out."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from xml.sax.saxutils import escape

from domain.reporting.arithmetic import WEEKDAYS
from domain.reporting.service import Bottleneck, PeakHours, UsageReport, UsageRow

USAGE_COLUMNS = [
    "key",
    "label",
    "sessions",
    "energy_kwh",
    "charging_hours",
    "occupied_hours",
    "utilization_percent",
    "uptime_percent",
    "revenue",
    "currency",
]


def _usage_values(r: UsageRow) -> list[object]:
    return [
        r.key,
        r.label,
        r.sessions,
        f"{r.energy_wh / 1000:.3f}",
        r.charging_hours,
        r.occupied_hours,
        r.utilization_percent,
        r.uptime_percent,
        str(r.revenue.to_decimal()),
        r.revenue.currency,
    ]


def _csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def usage_csv(report: UsageReport) -> str:
    rows = [_usage_values(r) for r in report.rows] + [_usage_values(report.totals)]
    return _csv(USAGE_COLUMNS, rows)


def peak_hours_csv(grid: PeakHours) -> str:
    return _csv(
        ["weekday", "hour", "occupancy_percent", "sessions_started", "energy_kwh", "timezone"],
        [
            [
                WEEKDAYS[c.weekday - 1],
                c.hour,
                c.occupancy_percent,
                c.sessions_started,
                f"{c.energy_wh / 1000:.3f}",
                grid.timezone,
            ]
            for c in grid.cells
        ],
    )


def bottlenecks_csv(found: Sequence[Bottleneck]) -> str:
    return _csv(
        ["site", "station", "hours_at_capacity", "peak_occupancy_percent", "recommendation"],
        [
            [
                b.site_name,
                b.station_name or "",
                b.hours_at_capacity,
                b.peak_occupancy_percent,
                b.recommendation,
            ]
            for b in found
        ],
    )


def _heat(pct: float) -> str:
    """White (0 %) to deep red (100 %)."""
    t = max(0.0, min(pct, 100.0)) / 100.0
    g = round(255 - 200 * t)
    return f"rgb(255,{g},{round(255 - 230 * t)})"


def peak_hours_svg(grid: PeakHours, title: str = "Occupancy by weekday and hour") -> str:
    cell, left, top = 24, 44, 40
    width, height = left + 24 * cell + 10, top + 7 * cell + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="11">',
        f'<text x="{left}" y="16" font-size="13">{escape(title)} ({escape(grid.timezone)})</text>',
    ]
    for h in range(24):
        parts.append(f'<text x="{left + h * cell + 6}" y="{top - 6}">{h:02d}</text>')
    for d in range(7):
        parts.append(f'<text x="4" y="{top + d * cell + 16}">{WEEKDAYS[d]}</text>')
    for c in grid.cells:
        x, y = left + c.hour * cell, top + (c.weekday - 1) * cell
        parts.append(
            f'<rect x="{x}" y="{y}" width="{cell - 1}" height="{cell - 1}" '
            f'fill="{_heat(c.occupancy_percent)}"><title>{WEEKDAYS[c.weekday - 1]} '
            f"{c.hour:02d}:00 {c.occupancy_percent}% occupied, {c.sessions_started} sessions"
            "</title></rect>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def usage_trend_svg(report: UsageReport, title: str = "Utilisation") -> str:
    """Bars of utilisation per row, with the occupied hours on each bar's title."""
    rows = report.rows
    bar, gap, left, top, plot = 28, 6, 40, 30, 200
    width = left + max(len(rows), 1) * (bar + gap) + 10
    height = top + plot + 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="10">',
        f'<text x="{left}" y="16" font-size="13">{escape(title)} (%)</text>',
        f'<line x1="{left}" y1="{top + plot}" x2="{width - 5}" y2="{top + plot}" stroke="#333"/>',
    ]
    for pct in (0, 50, 100):
        y = top + plot - plot * pct / 100
        parts.append(f'<text x="4" y="{y + 3:.0f}">{pct}</text>')
    for i, r in enumerate(rows):
        h = plot * min(r.utilization_percent, 100.0) / 100
        x = left + i * (bar + gap)
        parts.append(
            f'<rect x="{x}" y="{top + plot - h:.1f}" width="{bar}" height="{h:.1f}" '
            f'fill="#2a7ab0"><title>{escape(r.label)}: {r.utilization_percent}% '
            f"({r.occupied_hours} h occupied)</title></rect>"
        )
        parts.append(
            f'<text x="{x}" y="{top + plot + 12}" transform="rotate(45 {x} {top + plot + 12})">'
            f"{escape(r.key)}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)
