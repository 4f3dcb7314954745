"""The launch report: one self-contained HTML page of charts over the marts, and PNGs of the headlines.

The page must open anywhere — a laptop on a train, a CI artifact, a Kaggle dataset page — so
plotly's JavaScript and the page's styles are inlined and nothing is fetched at view time.
What it shows is read by ``reportdata.py``; this module draws it.
The PNGs are drawn with matplotlib, which needs no browser, so a scheduled run can make them.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from loguru import logger

from producthuntdb.locks import exclusive
from producthuntdb.reportdata import Chart, ReportData, collect
from producthuntdb.settings import Settings

REPORT_FILE = "report.html"
DOCS_INDEX = "../docs/index.html"
"""The docs index (``producthuntdb docs``), relative to the report in DATA_DIR/report/ or its copy in DATA_DIR/docs/."""
PNG_PREFIX = "chart_"
"""Headline PNGs sit at the top of the export (``chart_<name>.png``): publish uploads its files, not subfolders."""


@dataclass
class ReportResult:
    html_path: Path
    png_paths: list[Path]
    charts: list[str]
    """Keys of the charts drawn (those with data)."""
    elapsed: float
    skipped: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "report": str(self.html_path),
            "charts": len(self.charts),
            "pngs": len(self.png_paths),
            "skipped": ", ".join(f"{k} ({v})" for k, v in self.skipped.items()) or "none",
            "elapsed_seconds": round(self.elapsed, 1),
        }


# ----------------------------------------------------------------------------- rendering
def _figure(chart: Chart) -> Any:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

    fig = go.Figure()
    for s in chart.series:
        if chart.kind == "line":
            fig.add_trace(go.Scatter(x=s.x, y=s.y, name=s.name, mode="lines+markers"))
        elif chart.kind == "hbar":
            fig.add_trace(go.Bar(x=s.x, y=s.y, name=s.name, orientation="h"))
        else:
            fig.add_trace(go.Bar(x=s.x, y=s.y, name=s.name))
    fig.update_layout(
        title={"text": chart.title},
        xaxis_title=chart.x_title,
        yaxis_title=chart.y_title,
        barmode="overlay" if chart.key == "launches_per_day" else "group",
        template="plotly_white",
        height=max(380, 26 * len(chart.series[0].x)) if chart.kind == "hbar" and chart.series else 420,
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
        legend={"orientation": "h", "y": -0.2},
        showlegend=len(chart.series) > 1,
    )
    if chart.kind == "hbar":
        fig.update_yaxes(automargin=True)
    return fig


STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1f2937;
       background: #f8fafc; }
header { background: #da552f; color: white; padding: 1.2rem 2rem; }
header h1 { margin: 0 0 .3rem 0; font-size: 1.6rem; }
main { max-width: 1200px; margin: 0 auto; padding: 1rem 2rem 3rem; }
section.panel { background: white; border: 1px solid #e5e7eb; border-radius: 8px; margin: 1rem 0;
                padding: .5rem 1rem 1rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 1rem; }
table { border-collapse: collapse; font-size: .9rem; }
th, td { text-align: left; padding: .25rem .75rem; border-bottom: 1px solid #e5e7eb; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #6b7280; font-size: .9rem; }
.empty { color: #6b7280; font-style: italic; padding: 2rem 0; }
.pass { color: #15803d; font-weight: 600; } .fail { color: #b91c1c; font-weight: 600; }
"""


def _esc(value: Any) -> str:
    if isinstance(value, datetime):
        value = value.strftime("%Y-%m-%d %H:%M UTC")
    elif isinstance(value, date):
        value = value.isoformat()
    return html.escape("-" if value is None else str(value))


def _table(headers: list[str], rows: list[tuple[Any, ...]]) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="num">{v:,}</td>' if isinstance(v, int) else f"<td>{_esc(v)}</td>" for v in row)
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _freshness_panel(data: ReportData) -> str:
    fresh = data.freshness
    run = fresh.get("last_run") or {}
    backfill = fresh.get("backfill") or {}
    gate = fresh.get("gate") or {}
    if gate:
        failed = len(gate.get("failures") or [])
        verdict = (
            f'<span class="pass">passed</span> ({gate.get("evaluated")} expectations)'
            if gate.get("passed")
            else f'<span class="fail">failed</span> ({failed} of {gate.get("evaluated")} expectations)'
        )
    else:
        verdict = "not run yet"
    facts = [
        ("posts from", fresh.get("oldest_post")),
        ("posts up to", fresh.get("newest_post")),
        ("last sync started", run.get("started_at")),
        ("last sync", " — ".join(str(run[k]) for k in ("status", "stop_reason") if run.get(k)) or None),
        ("harvested from", backfill.get("floor")),
        ("harvested up to", backfill.get("high_water") or run.get("backfill_position")),
        ("API points, last sync", run.get("points")),
    ]
    rows = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in facts)
    rows += f"<tr><th>quality gate</th><td>{verdict}</td></tr>"
    marts = _table(["mart", "rows"], [(f"marts.{k}", v) for k, v in data.row_counts.items()])
    return (
        '<section class="panel" id="freshness"><h2>Freshness and coverage</h2><div class="grid">'
        f"<div><table>{rows}</table></div><div>{marts}</div></div></section>"
    )


def render_html(data: ReportData, title: str) -> str:
    """The whole page: plotly.js inlined once, each chart a div, no external URL anywhere."""
    import plotly.io as pio  # type: ignore[import-untyped]
    from plotly.offline import get_plotlyjs  # type: ignore[import-untyped]

    blocks: list[str] = []
    for chart in data.charts:
        if chart.empty:
            body = f'<p class="empty">No chart: {_esc(chart.empty_reason or "no data yet")}.</p>'
            blocks.append(
                f'<section class="panel" id="{chart.key}"><h2>{_esc(chart.title)}</h2>{body}</section>'
            )
            continue
        div = pio.to_html(
            _figure(chart),
            full_html=False,
            include_plotlyjs=False,
            div_id=f"chart-{chart.key}",
            config={"displaylogo": False, "responsive": True},
        )
        note = f'<p class="note">{_esc(chart.note)}</p>' if chart.note else ""
        blocks.append(f'<section class="panel chart" id="{chart.key}">{div}{note}</section>')
        if chart.key == "leaderboard" and data.leaderboard:
            table = _table(["day", "vote rank", "post", "votes", "comments"], data.leaderboard)
            blocks.append(
                '<section class="panel" id="leaderboard_table"><h2>Top 3 of each of the last 7 complete days</h2>'
                f"{table}</section>"
            )
    generated = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_esc(title)}</title><style>{STYLE}</style>"
        f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
        f"<header><h1>{_esc(title)}</h1><div>Generated {generated} from the marts; "
        "works offline (no external requests). "
        # DATA_DIR/report/ and its copy in DATA_DIR/docs/ both reach the index this way
        f"<a href='{DOCS_INDEX}' style='color:inherit'>All documentation: data model, quality gate</a>"
        "</div></header><main>"
        f"{_freshness_panel(data)}{''.join(blocks)}</main></body></html>"
    )


HEADLINES = ("launches_per_day", "topic_trends", "vote_trajectories")
"""The charts drawn as PNGs for the dataset page."""


def render_pngs(data: ReportData, out_dir: Path) -> list[Path]:
    """The headline charts as PNG files (matplotlib, no browser needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for chart in data.charts:
        if chart.key not in HEADLINES or chart.empty:
            continue
        fig, ax = plt.subplots(figsize=(10, 4.5), dpi=100)
        for s in chart.series:
            if chart.kind == "line":
                ax.plot(s.x, s.y, marker="o", markersize=3, label=s.name)
            else:
                ax.bar(s.x, s.y, label=s.name, width=1.0, alpha=0.85)
        ax.set_title(chart.title)
        ax.set_xlabel(chart.x_title)
        ax.set_ylabel(chart.y_title)
        if len(chart.series) > 1:
            ax.legend(fontsize=8, loc="upper left")
        fig.autofmt_xdate()
        fig.tight_layout()
        path = out_dir / f"{PNG_PREFIX}{chart.key}.png"
        fig.savefig(path)
        plt.close(fig)
        written.append(path)
    return written


def run_report(settings: Settings, out: Path | None = None, png_dir: Path | None = None) -> ReportResult:
    """Write the HTML report (default ``DATA_DIR/report/report.html``) and, into ``png_dir``, the PNGs."""
    started = time.monotonic()
    data = collect(settings)
    target = out or settings.data_dir / "report" / REPORT_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(render_html(data, "ProductHuntDB launch report"), "utf-8")
    tmp.replace(target)
    pngs = []
    if png_dir is not None:
        with exclusive(
            png_dir, settings, "write the report's charts into it"
        ):  # not while an export swaps it
            pngs = render_pngs(data, png_dir)
    result = ReportResult(
        html_path=target,
        png_paths=pngs,
        charts=[c.key for c in data.charts if not c.empty],
        elapsed=time.monotonic() - started,
        skipped={c.key: c.empty_reason for c in data.charts if c.empty},
    )
    logger.info("report written to {} ({} charts, {} PNGs)", target, len(result.charts), len(pngs))
    return result
