"""Inline SVG charts (no script, no external asset): they render offline, in print and in PDF."""

from __future__ import annotations

from html import escape

OUTCOME_COLOURS = {"MS": "#2E7D32", "BMS": "#F9A825", "TMS": "#C62828", "MERGED": "#1565C0",
                   "SKIPPED": "#9E9E9E"}
OUTCOME_LABELS = {"MS": "MS — memenuhi syarat", "BMS": "BMS — belum memenuhi syarat",
                  "TMS": "TMS — tidak memenuhi syarat", "MERGED": "Ganda (digabung)",
                  "SKIPPED": "Dilewati (terhapus)"}


def number(value: int | float | None) -> str:
    """Indonesian thousands separator: 1.234.567."""
    if value is None:
        return "—"
    return f"{int(value):,}".replace(",", ".")


def _text(x: float, y: float, body: str, anchor: str = "start", extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="13" '
            f'font-family="sans-serif" fill="#222"{extra}>{escape(body)}</text>')


def _svg(width: int, height: int, label: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
            f'role="img" aria-label="{escape(label)}">' + "".join(body) + "</svg>")


def _bar_rows(items: list[tuple[str, int, str]], width: int, label_width: int, top: int) -> list[str]:
    row_h = 26
    largest = max([value for _, value, _ in items] + [1])
    bar_space = width - label_width - 90
    parts = []
    for index, (label, value, colour) in enumerate(items):
        y = top + index * row_h
        bar = max(bar_space * value / largest, 1 if value else 0)
        parts.append(_text(label_width - 8, y + 16, label, "end"))
        parts.append(f'<rect x="{label_width}" y="{y + 3}" width="{bar:.1f}" height="18" rx="2" '
                     f'fill="{colour}"/>')
        parts.append(_text(label_width + bar + 6, y + 16, number(value)))
    return parts


def hbars(items: list[tuple[str, int, str]], width: int = 640, label_width: int = 230,
          title: str = "") -> str:
    """Horizontal bars: (label, value, colour) per row, scaled to the largest value."""
    return _svg(width, 8 + 26 * len(items) + 4, title, _bar_rows(items, width, label_width, 8))


def ledger_chart(ledger: dict, width: int = 640) -> str:
    """The ledger of one party: one stacked bar of all rows read, then one bar per outcome."""
    outcomes = list(OUTCOME_COLOURS)
    total = sum(int(ledger.get(o, 0) or 0) for o in outcomes) or 1
    parts, x = [], 0.0
    for outcome in outcomes:
        share = width * int(ledger.get(outcome, 0) or 0) / total
        if share:
            parts.append(f'<rect x="{x:.1f}" y="4" width="{share:.1f}" height="26" '
                         f'fill="{OUTCOME_COLOURS[outcome]}"><title>{escape(OUTCOME_LABELS[outcome])}: '
                         f'{number(ledger.get(outcome, 0))}</title></rect>')
        x += share
    items = [(OUTCOME_LABELS[o], int(ledger.get(o, 0) or 0), OUTCOME_COLOURS[o]) for o in outcomes]
    parts += _bar_rows(items, width, 230, 44)
    return _svg(width, 44 + 26 * len(items) + 4, "Hasil migrasi anggota", parts)


def stacked_rows(rows: list[tuple[str, dict]], width: int = 760, label_width: int = 120) -> str:
    """One stacked bar per party (KPU overview), each scaled to the largest party."""
    outcomes = list(OUTCOME_COLOURS)
    row_h, top = 26, 8
    height = top + row_h * len(rows) + 30
    largest = max([sum(int(c.get(o, 0) or 0) for o in outcomes) for _, c in rows] + [1])
    space = width - label_width - 90
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
             f'role="img" aria-label="Hasil per partai">']
    for index, (label, counts) in enumerate(rows):
        y, x = top + index * row_h, float(label_width)
        parts.append(_text(label_width - 8, y + 16, label, "end"))
        for outcome in outcomes:
            share = space * int(counts.get(outcome, 0) or 0) / largest
            if share:
                parts.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{share:.1f}" height="18" '
                             f'fill="{OUTCOME_COLOURS[outcome]}"><title>{escape(label)} {outcome}: '
                             f'{number(counts.get(outcome, 0))}</title></rect>')
            x += share
        parts.append(_text(x + 6, y + 16, number(counts.get("read", 0))))
    legend_y, x = top + row_h * len(rows) + 14, float(label_width)
    for outcome in outcomes:
        parts.append(f'<rect x="{x:.1f}" y="{legend_y - 10}" width="12" height="12" '
                     f'fill="{OUTCOME_COLOURS[outcome]}"/>')
        parts.append(_text(x + 16, legend_y, outcome))
        x += 110
    parts.append("</svg>")
    return "".join(parts)
