"""Reports as CSV and as hand-written SVG charts (a peak-hours heatmap, a usage trend bar chart).
Pure: values in, text out."""

from __future__ import annotations

import io
from collections.abc import Sequence
from xml.sax.saxutils import escape

from domain.common.csvsafe import SafeWriter
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
    writer = SafeWriter(out, lineterminator="\r\n")  # no cell is read as a formula
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


PEAK_NOTE = (
    "occupancy = occupied connector time / all connector time of the cell (clock time x connectors,",
    "faulted, unavailable and unreported time included); usage's utilisation divides by available",
    "time only, so it reads higher than occupancy over the same hours",
)
USAGE_NOTE = "utilisation = occupied / available connector time (available: not Faulted, Unavailable, Unknown)"


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^n (n >= 0), and 100 at most, not below ``value``: the top
    of a percentage scale that fits the data (3-5 % occupancy fills the scale, not a 20th of it)."""
    for step in (1, 2, 2.5, 5, 10, 20, 25, 50, 100):
        if value <= step:
            return float(step)
    return 100.0


def _heat(pct: float, top: float) -> str:
    """White (0 %) to deep red (``top`` %, the scale's maximum)."""
    t = max(0.0, min(pct, top)) / top if top > 0 else 0.0
    g = round(255 - 200 * t)
    return f"rgb(255,{g},{round(255 - 230 * t)})"


def _fmt(pct: float) -> str:
    return f"{pct:g}"


def _short(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def peak_hours_svg(grid: PeakHours, title: str = "Occupancy by weekday and hour") -> str:
    """A weekday x hour heat map whose colour scale runs from 0 to a round maximum just above the
    busiest cell, with its legend, axis titles and the definition of occupancy."""
    cell, left, top = 24, 70, 66
    top_pct = nice_ceiling(max((c.occupancy_percent for c in grid.cells), default=0.0))
    plot_w = 24 * cell
    legend_y = top + 7 * cell + 56
    width, height = left + plot_w + 20, legend_y + 62
    zone = escape(grid.timezone)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white" class="background"/>',
        f'<text x="{left}" y="18" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for n, line in enumerate(PEAK_NOTE):
        parts.append(
            f'<text x="{left}" y="{32 + 11 * n}" font-size="10" fill="#555">{escape(line)}</text>'
        )
    for h in range(24):
        parts.append(
            f'<text x="{left + h * cell + cell / 2:.0f}" y="{top + 7 * cell + 13}" '
            f'text-anchor="middle">{h:02d}</text>'
        )
    parts.append(
        f'<text x="{left + plot_w / 2:.0f}" y="{top + 7 * cell + 28}" text-anchor="middle" '
        f'class="axis-title">hour of day ({zone})</text>'
    )
    for d in range(7):
        parts.append(
            f'<text x="{left - 6}" y="{top + d * cell + 16}" text-anchor="end">{WEEKDAYS[d]}</text>'
        )
    mid = top + 7 * cell / 2
    parts.append(
        f'<text x="14" y="{mid:.0f}" text-anchor="middle" transform="rotate(-90 14 {mid:.0f})" '
        'class="axis-title">weekday</text>'
    )
    parts.append('<g class="cells">')
    for c in grid.cells:
        x, y = left + c.hour * cell, top + (c.weekday - 1) * cell
        parts.append(
            f'<rect x="{x}" y="{y}" width="{cell - 1}" height="{cell - 1}" '
            f'fill="{_heat(c.occupancy_percent, top_pct)}"><title>{WEEKDAYS[c.weekday - 1]} '
            f"{c.hour:02d}:00 {c.occupancy_percent}% occupied, {c.sessions_started} sessions"
            "</title></rect>"
        )
    parts.append("</g>")
    # legend: the colour scale from 0 to its maximum
    steps, lw = 20, 240
    parts.append('<g class="legend">')
    parts.append(
        f'<text x="{left}" y="{legend_y - 4}">occupancy, % of connector time '
        f"(scale 0\u2013{_fmt(top_pct)} %)</text>"
    )
    for i in range(steps):
        pct = top_pct * (i + 0.5) / steps
        parts.append(
            f'<rect x="{left + i * lw / steps:.1f}" y="{legend_y}" width="{lw / steps + 0.5:.1f}" '
            f'height="12" fill="{_heat(pct, top_pct)}"/>'
        )
    parts.append(
        f'<rect x="{left}" y="{legend_y}" width="{lw}" height="12" fill="none" stroke="#999"/>'
    )
    for i in range(6):
        tick = left + lw * i / 5
        parts.append(
            f'<text x="{tick:.0f}" y="{legend_y + 26}" text-anchor="middle">'
            f"{_fmt(round(top_pct * i / 5, 2))} %</text>"
        )
    parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts)


def usage_trend_svg(report: UsageReport, title: str = "Utilisation") -> str:
    """Bars of utilisation per row, named (the day, week, month, station or site name), on a scale
    fitted to the data, with axis titles and a legend."""
    rows = report.rows
    bar, gap, left, top, plot = 34, 10, 64, 56, 220
    labels = [_short(r.label) for r in rows]
    label_room = 24 + 4 * max((len(label) for label in labels), default=4)
    width = max(left + max(len(rows), 1) * (bar + gap) + 20, 620)
    height = top + plot + label_room + 56
    top_pct = nice_ceiling(max((r.utilization_percent for r in rows), default=0.0))
    what = {
        "STATION": "station",
        "SITE": "site",
        "DAY": "day",
        "WEEK": "week",
        "MONTH": "month",
    }[report.group_by.value]
    base = top + plot
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="10">',
        f'<rect width="{width}" height="{height}" fill="white" class="background"/>',
        f'<text x="{left}" y="18" font-size="14" font-weight="bold">{escape(title)} by {what} '
        f"({escape(report.timezone)})</text>",
        f'<text x="{left}" y="34" font-size="10" fill="#555">{escape(USAGE_NOTE)}</text>',
    ]
    for i in range(6):
        pct = top_pct * i / 5
        y = base - plot * i / 5
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="#ddd"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 3:.1f}" text-anchor="end">{_fmt(round(pct, 2))}</text>'
        )
    mid = top + plot / 2
    parts.append(
        f'<text x="16" y="{mid:.0f}" text-anchor="middle" transform="rotate(-90 16 {mid:.0f})" '
        'class="axis-title">utilisation (%)</text>'
    )
    parts.append(f'<line x1="{left}" y1="{base}" x2="{width - 10}" y2="{base}" stroke="#333"/>')
    parts.append('<g class="bars">')
    for i, r in enumerate(rows):
        h = plot * min(r.utilization_percent, top_pct) / top_pct if top_pct else 0.0
        x = left + 8 + i * (bar + gap)
        parts.append(
            f'<rect x="{x}" y="{base - h:.1f}" width="{bar}" height="{h:.1f}" '
            f'fill="#2a7ab0"><title>{escape(r.label)}: {r.utilization_percent}% '
            f"({r.occupied_hours} h occupied)</title></rect>"
        )
        parts.append(
            f'<text x="{x + bar / 2:.0f}" y="{base - h - 3:.1f}" text-anchor="middle">'
            f"{_fmt(r.utilization_percent)}</text>"
        )
        lx, ly = x + bar / 2, base + 12
        parts.append(
            f'<text x="{lx:.0f}" y="{ly}" text-anchor="end" '
            f'transform="rotate(-40 {lx:.0f} {ly})" class="bar-label">{escape(labels[i])}</text>'
        )
    parts.append("</g>")
    parts.append(
        f'<text x="{left + (width - left) / 2:.0f}" y="{base + label_room}" text-anchor="middle" '
        f'class="axis-title">{what}</text>'
    )
    ly = base + label_room + 22
    parts.append(
        f'<g class="legend"><rect x="{left}" y="{ly - 9}" width="10" height="10" '
        f'fill="#2a7ab0"/><text x="{left + 14}" y="{ly}">utilisation % (value on each bar; '
        f"occupied hours in its tooltip)</text></g>"
    )
    parts.append("</svg>")
    return "\n".join(parts)
