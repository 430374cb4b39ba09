"""Line and bar charts as small inline SVG, drawn on the server from the aggregated chart frames.

Why not Gradio's LinePlot/BarPlot: they draw with Vega in the browser, which on the Insights page cost more than
the whole rest of the page (a 650 kB library to load and compile, then about 0.2 s of CPU per chart; measured in
docs/benchmarks.md). An SVG of a few dozen marks costs the browser almost nothing, needs no script, and carries
what the Vega charts did: the values, and per point or bar a tooltip (SVG <title>) with the number of learners.
Rates over fewer than SMALL_N learners are also drawn differently (hollow points, pale bars), so the caution is
visible without hovering.

Every text that comes from data (skill, team, entity names) is escaped: the SVG goes into the page as HTML.
"""

from __future__ import annotations

import html
import math
from typing import Callable, Sequence

import pandas as pd

# Tableau 10 plus four: enough distinct colours for a dozen skills; beyond that colours repeat dashed.
PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#bab0ac", "#8cd17d", "#499894", "#d37295", "#79706e"]
TEXT = "var(--body-text-color, #374151)"
GRID = "var(--border-color-primary, #e5e7eb)"
BACKGROUND = "var(--block-background-fill, #fff)"
FONT = 'font-family="inherit" font-size="11"'

# Scoped to each chart's component by gr.HTML(css_template=...): series fade except the one under the pointer.
CSS = """
.sp-chart { width: 100%; }
.sp-chart .sp-title { font-weight: 600; text-align: center; margin: 2px 0 4px; }
.sp-chart svg { width: 100%; height: auto; display: block; overflow: visible; }
.sp-chart svg:hover .sp-series { opacity: 0.3; }
.sp-chart svg .sp-series:hover { opacity: 1; }
.sp-chart .sp-legend { display: flex; flex-wrap: wrap; gap: 2px 12px; justify-content: center; font-size: 12px; }
.sp-chart .sp-legend span { white-space: nowrap; }
.sp-chart .sp-legend i { display: inline-block; width: 14px; height: 3px; margin: 0 4px 3px 0;
  vertical-align: middle; }
.sp-chart .sp-note { font-size: 11px; opacity: 0.75; text-align: center; }
.sp-multiples { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 4px 10px; }
.sp-multiples .sp-title { font-weight: 400; font-size: 12px; }
"""
HOLLOW_NOTE = "Hollow points: fewer than 5 learners, too few to read."
MAX_LINES = 5  # more series than this in one chart is a tangle: they are drawn as small multiples instead
WEEK_S = 7 * 86400


def pct(v: float) -> str:
    return f"{v:.0%}"


def signed_pct(v: float) -> str:
    return f"{v:+.0%}" if round(v, 2) != 0 else "0%"


def minutes(v: float) -> str:
    return f"{v:.1f} min"


def number(v: float) -> str:
    return f"{v:.2f}"


def _esc(v: object) -> str:
    # '{' too: gr.HTML runs its value through a template engine.
    return html.escape(str(v), quote=True).replace("{", "&#123;").replace("}", "&#125;")


def _small(v: object) -> bool:
    return "too few" in str(v)


def _nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (1, 2, 2.5 or 5 times a power of ten apart)."""
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / max(count - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step + 1e-9) * step
    ticks, t = [], start
    while t <= hi + step * 1e-6:
        ticks.append(round(t, 10))
        t += step
    if ticks[-1] < hi - step * 1e-6:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _domain(values: pd.Series, lim: Sequence[float | None] | None) -> tuple[float, float, list[float]]:
    lo_lim, hi_lim = (list(lim) + [None, None])[:2] if lim else (None, None)
    vals = pd.to_numeric(values, errors="coerce").dropna()
    lo = min(0.0, float(vals.min())) if len(vals) else 0.0
    hi = max(float(vals.max()) if len(vals) else 1.0, 0.0)
    if lo_lim is not None:
        lo = min(lo_lim, lo)
    if hi_lim is not None:
        hi = max(hi_lim, hi)
    ticks = _nice_ticks(lo, hi if hi > lo else lo + 1)
    return ticks[0], ticks[-1], ticks


def _frame(title: str, svg: str, legend: str = "", note: str = "") -> str:
    parts = [f'<div class="sp-chart"><div class="sp-title">{_esc(title)}</div>', svg]
    if legend:
        parts.append(f'<div class="sp-legend">{legend}</div>')
    if note:
        parts.append(f'<div class="sp-note">{_esc(note)}</div>')
    parts.append("</div>")
    return "".join(parts)


def empty(title: str) -> str:
    return _frame(title, '<p class="sp-note">Nothing to show for these filters.</p>')


def _tips(df: pd.DataFrame, tooltip: Sequence[str], fmt: dict[str, Callable[[float], str]]) -> list[str]:
    """One tooltip text per row: 'column: value' for each tooltip column (dates as their week, numbers formatted)."""
    cols = []
    for col in tooltip:
        vals = df[col].tolist()
        if pd.api.types.is_datetime64_any_dtype(df[col]):
            shown = [f"week of {v:%d %b %Y}" for v in vals]
        elif col in fmt:
            shown = ["–" if v is None or v != v else fmt[col](float(v)) for v in vals]
        else:
            shown = [str(v) for v in vals]
        cols.append([f"{col}: {v}" for v in shown])
    return [_esc(" · ".join(parts)) for parts in zip(*cols)]


def _secs(values: pd.Series) -> pd.Series:
    """Dates as whole seconds: the chart arithmetic is then on plain numbers."""
    return pd.to_datetime(values).astype("datetime64[s]").astype("int64")


def _runs(pts: list[tuple[float, float, str, bool, int]], step_s: int) -> list[list[tuple[float, float]]]:
    """A series cut where weeks are missing: a line joins consecutive weeks only, never across a gap."""
    runs: list[list[tuple[float, float]]] = []
    last: int | None = None
    for a, b, _, _, t in pts:
        if last is None or t - last > step_s:
            runs.append([])
        runs[-1].append((a, b))
        last = t
    return runs


def line_chart(df: pd.DataFrame | None, *, x: str, y: str, title: str, color: str | None = None,
               y_title: str = "", x_title: str = "week (starting Monday)",
               y_lim: Sequence[float | None] | None = None, fmt: Callable[[float], str] = pct,
               tooltip: Sequence[str] = (), small: str = "learners", width: int = 560, height: int = 290,
               step_s: int = WEEK_S, _x_range: tuple[int, int] | None = None, _colour: int = 0,
               _note: bool = True) -> str:
    """One line per value of `color` (or a single line), x a date column (one point per `step_s`, a week). A line
    is broken where steps are missing. More than MAX_LINES series are drawn as small multiples: one small chart
    per series, on the same axes, so each can be read and compared without untangling eleven lines."""
    if df is None or df.empty or df[y].isna().all():
        return empty(title)
    if color and df[color].nunique() > MAX_LINES:
        return _small_multiples(df, x=x, y=y, title=title, color=color, y_title=y_title, y_lim=y_lim, fmt=fmt,
                                tooltip=tooltip, small=small, step_s=step_s)
    df = df.sort_values([c for c in (color, x) if c])
    left, right, top, bottom = 44, 12, 8, 40 if x_title else 26
    pw, ph = width - left - right, height - top - bottom
    secs = _secs(df[x])
    xs = sorted(set(secs.tolist()))
    x0, x1 = _x_range or (xs[0], xs[-1])
    span = (x1 - x0) or 1

    def px(v: float) -> float:
        return left + pw * ((v - x0) / span if x1 > x0 else 0.5)

    lo, hi, ticks = _domain(df[y], y_lim)

    def py(v: float) -> float:
        return top + ph * (1 - (v - lo) / (hi - lo))

    out = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{_esc(title)}" {FONT} fill="{TEXT}">']
    for t in ticks:  # horizontal grid with value labels
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{py(t):.1f}" y2="{py(t):.1f}" stroke="{GRID}"/>'
                   f'<text x="{left - 5}" y="{py(t) + 3.5:.1f}" text-anchor="end">{_esc(fmt(t))}</text>')
    # The axes: a y axis on the left, the x axis along the bottom of the plot, a tick per labelled week.
    base = top + ph
    out.append(f'<path d="M{left},{top}V{base}H{width - right}" fill="none" stroke="{TEXT}" '
               'stroke-opacity="0.5"/>')
    every = max(1, math.ceil(len(xs) / max(2, min(8, pw // 60))))  # at most ~8 date labels, 60 px apart
    for i, v in enumerate(xs):
        if i % every == 0:
            out.append(f'<line x1="{px(v):.1f}" x2="{px(v):.1f}" y1="{base}" y2="{base + 4}" stroke="{TEXT}" '
                       f'stroke-opacity="0.5"/><text x="{px(v):.1f}" y="{base + 16}" text-anchor="middle">'
                       f'{pd.Timestamp(v, unit="s"):%d %b}</text>')
    if x_title:
        out.append(f'<text x="{left + pw / 2:.0f}" y="{height - 4}" text-anchor="middle">{_esc(x_title)}</text>')
    if y_title:
        out.append(f'<text transform="translate(10 {top + ph / 2:.0f}) rotate(-90)" text-anchor="middle">'
                   f'{_esc(y_title)}</text>')
    legend, any_small = [], False
    df = df.assign(_x=secs).dropna(subset=[y])
    tips = _tips(df, tooltip or [x, y], {y: fmt})
    flags = df[small].map(_small).tolist() if small in df.columns else [False] * len(df)
    series: dict[object, list[tuple[float, float, str, bool, int]]] = {}  # plain lists: no per-group frames
    names = df[color].tolist() if color else [None] * len(df)
    for name, v, w, tip, hollow in zip(names, df["_x"].tolist(), df[y].tolist(), tips, flags):
        series.setdefault(name, []).append((px(v), py(w), tip, hollow, int(v)))
    for i, (name, pts) in enumerate(series.items(), start=_colour):
        c = PALETTE[i % len(PALETTE)]
        dash = ' stroke-dasharray="5 3"' if i >= len(PALETTE) else ""
        label = f"<title>{_esc(name)}</title>" if name is not None else ""
        out.append(f'<g class="sp-series">{label}')
        for run in _runs(pts, step_s):
            if len(run) > 1:
                line = " ".join(f"{a:.1f},{b:.1f}" for a, b in run)
                out.append(f'<polyline points="{line}" fill="none" stroke="{c}" stroke-width="2"{dash}/>')
        for a, b, tip, hollow, _ in pts:
            any_small |= hollow
            fill = BACKGROUND if hollow else c
            out.append(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3.2" fill="{fill}" stroke="{c}" stroke-width="1.5">'
                       f'<title>{tip}</title></circle>')
        out.append("</g>")
        if name is not None:
            legend.append(f'<span><i style="background:{c}"></i>{_esc(name)}</span>')
    out.append("</svg>")
    note = HOLLOW_NOTE if any_small and _note else ""
    return _frame(title, "".join(out), "".join(legend), note)


def _small_multiples(df: pd.DataFrame, *, x: str, y: str, title: str, color: str, y_title: str,
                     y_lim: Sequence[float | None] | None, fmt: Callable[[float], str], tooltip: Sequence[str],
                     small: str, step_s: int) -> str:
    """One small line chart per series, all on the same x and y ranges, under one title."""
    secs = _secs(df[x])
    lo, hi, _ = _domain(df[y], y_lim)
    x_range = (int(secs.min()), int(secs.max()))
    panels = []
    for i, name in enumerate(sorted(df[color].dropna().unique(), key=str)):
        part = df[df[color] == name]
        panels.append(line_chart(part, x=x, y=y, title=str(name), y_title="", x_title="", y_lim=[lo, hi],
                                 fmt=fmt, tooltip=tooltip, small=small, width=300, height=170, step_s=step_s,
                                 _x_range=x_range, _colour=i, _note=False))
    head = f'<div class="sp-chart"><div class="sp-title">{_esc(title)}</div>'
    hollow = " " + HOLLOW_NOTE if small in df.columns and df[small].map(_small).any() else ""
    foot = (f'<div class="sp-note">{_esc(y_title)} per week, one chart per {_esc(color)}, same scales.'
            f'{_esc(hollow)}</div></div>')
    return head + '<div class="sp-multiples">' + "".join(panels) + "</div>" + foot


def bar_chart(df: pd.DataFrame | None, *, x: str, y: str, title: str, y_title: str = "",
              y_lim: Sequence[float | None] | None = None, fmt: Callable[[float], str] = pct,
              tooltip: Sequence[str] = (), small: str = "learners", width: int = 560) -> str:
    """Horizontal bars, one per value of `x` (category names stay readable on the left), sorted as given."""
    if df is None or df.empty:
        return empty(title)
    df = df.dropna(subset=[y])
    if df.empty:  # e.g. every retention ratio undefined (first-pass scores of 0)
        return empty(title)
    label_w = min(170, 20 + 6.2 * max(len(str(v)) for v in df[x]))
    left, right, top, bar, gap = label_w, 48, 4, 18, 6
    axis_h = 34 if y_title else 20
    height = int(top + len(df) * (bar + gap) + axis_h)
    pw = width - left - right
    lo, hi, ticks = _domain(df[y], y_lim)

    def px(v: float) -> float:
        return left + pw * (v - lo) / (hi - lo)

    plot_bottom = top + len(df) * (bar + gap)
    out = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{_esc(title)}" {FONT} fill="{TEXT}">']
    for t in ticks:
        out.append(f'<line x1="{px(t):.1f}" x2="{px(t):.1f}" y1="{top}" y2="{plot_bottom}" stroke="{GRID}"/>'
                   f'<text x="{px(t):.1f}" y="{plot_bottom + 13}" text-anchor="middle">{_esc(fmt(t))}</text>')
    if y_title:
        out.append(f'<text x="{left + pw / 2:.0f}" y="{height - 4}" text-anchor="middle">{_esc(y_title)}</text>')
    any_small = False
    zero = px(max(lo, 0.0))
    tips = _tips(df, tooltip or [x, y], {y: fmt})
    flags = df[small].map(_small).tolist() if small in df.columns else [False] * len(df)
    for i, (name, v, tip, hollow) in enumerate(zip(df[x].astype(str), df[y].astype(float), tips, flags)):
        yy = top + i * (bar + gap)
        x_a, x_b = sorted((zero, px(v)))
        any_small |= hollow
        shown = name if len(name) <= 26 else name[:25] + "…"
        pale = ' fill-opacity="0.35"' if hollow else ""
        out.append(f'<g class="sp-series"><title>{tip}</title>'
                   f'<text x="{left - 6}" y="{yy + bar / 2 + 4:.1f}" text-anchor="end">{_esc(shown)}</text>'
                   f'<rect x="{x_a:.1f}" y="{yy}" width="{max(x_b - x_a, 1):.1f}" height="{bar}" '
                   f'fill="{PALETTE[0]}"{pale}/>'
                   f'<text x="{x_b + 4 if v >= 0 else x_a - 4:.1f}" y="{yy + bar / 2 + 4:.1f}" '
                   f'text-anchor="{"start" if v >= 0 else "end"}">{_esc(fmt(v))}</text></g>')
    # The axes: the zero line the bars grow from, and the value axis along the bottom.
    out.append(f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="{top}" y2="{plot_bottom}" stroke="{TEXT}" '
               f'stroke-opacity="0.5"/><line x1="{left}" x2="{width - right}" y1="{plot_bottom}" '
               f'y2="{plot_bottom}" stroke="{TEXT}" stroke-opacity="0.5"/></svg>')
    note = "Pale bars: fewer than 5 learners, too few to read." if any_small else ""
    return _frame(title, "".join(out), "", note)
