"""Experiment outputs: summary.csv, differences.csv, daily.csv, PNG charts and report.html.

The HTML report is self-contained: charts are inlined as base64 PNGs, styles are inline, and
nothing is fetched from the network, so it can be mailed or archived as one file.
"""

from __future__ import annotations

import base64
import csv
import html
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: no display needed, and no GUI toolkit import.
import matplotlib.pyplot as plt

from simulator.experiment import ExperimentResult
from simulator.kpi import DAILY_KPIS
from simulator.stats import Interval

CHART_KPIS = ("audience", "engagement_rate", "net_sentiment", "trust", "conversions", "cost")
TABLE_KPIS = (
    "audience", "engagement_rate", "engagement_per_brand_post", "quality_weighted_engagement",
    "net_sentiment", "negative_mentions", "response_rate", "median_first_response_hours",
    "escalation_sla", "retention", "trust", "love", "strategy_alignment", "conversions",
    "cost", "roi", "payback_day", "budget_exhausted_day",
)  # fmt: skip


def write_csvs(result: ExperimentResult, out: Path) -> list[Path]:
    """summary.csv (KPI means and CIs), differences.csv (paired) and daily.csv (every run)."""
    out.mkdir(parents=True, exist_ok=True)
    summary, differences, daily = out / "summary.csv", out / "differences.csv", out / "daily.csv"
    with summary.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["strategy", "kpi", "mean", "ci_low", "ci_high", "seeds"])
        for kpi, by_strategy in result.summary().items():
            for strategy, iv in by_strategy.items():
                w.writerow([strategy, kpi, iv.mean, iv.low, iv.high, iv.n])
    with differences.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["baseline", "strategy", "kpi", "difference", "ci_low", "ci_high", "seeds"])
        for (a, b), by_kpi in result.differences().items():
            for kpi, iv in by_kpi.items():
                w.writerow([a, b, kpi, iv.mean, iv.low, iv.high, iv.n])
    with daily.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["strategy", "seed", "day", *DAILY_KPIS])
        for strategy, runs in result.runs.items():
            for k, r in enumerate(runs):
                for day in range(r.days):
                    w.writerow([strategy, k, day, *(r.daily[name][day] for name in DAILY_KPIS)])
    return [summary, differences, daily]


def write_charts(result: ExperimentResult, out: Path) -> list[Path]:
    """One PNG per charted KPI: the daily mean per strategy over seeds."""
    paths = []
    for kpi in CHART_KPIS:
        fig, ax = plt.subplots(figsize=(7, 3.2), dpi=100)
        for strategy in result.strategies:
            ax.plot(result.daily_mean(strategy, kpi), label=strategy)
        ax.set_title(kpi.replace("_", " "))
        ax.set_xlabel("day")
        ax.legend(loc="best", fontsize="small")
        fig.tight_layout()
        path = out / f"chart-{kpi}.png"
        fig.savefig(path)
        plt.close(fig)
        paths.append(path)
    return paths


def _fmt(value: float) -> str:
    if math.isnan(value):
        return "–"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _cell(iv: Interval) -> str:
    if iv.n == 0:
        return "<td>–</td>"
    bounds = "" if math.isnan(iv.low) else f"<br><small>[{_fmt(iv.low)}, {_fmt(iv.high)}]</small>"
    mark = ' class="clear"' if iv.n > 1 and iv.excludes_zero else ""
    return f"<td{mark}>{_fmt(iv.mean)}{bounds}</td>"


def _summary_table(result: ExperimentResult) -> str:
    summary = result.summary()
    head = "".join(f"<th>{html.escape(s)}</th>" for s in result.strategies)
    rows = "".join(
        f"<tr><th>{k.replace('_', ' ')}</th>"
        + "".join(_cell(summary[k][s]) for s in result.strategies)
        + "</tr>"
        for k in TABLE_KPIS
    )
    return f"<table><tr><th>KPI (mean, 95% CI)</th>{head}</tr>{rows}</table>"


def _difference_tables(result: ExperimentResult) -> str:
    parts = []
    for (a, b), by_kpi in result.differences().items():
        rows = "".join(
            f"<tr><th>{k.replace('_', ' ')}</th>{_cell(by_kpi[k])}</tr>" for k in TABLE_KPIS
        )
        title = f"{html.escape(b)} − {html.escape(a)} (paired by seed)"
        parts.append(
            f"<h3>{title}</h3><table><tr><th>KPI</th><th>difference, 95% CI</th></tr>{rows}</table>"
        )
    return "".join(parts)


_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}
th:first-child{text-align:left}td.clear{background:#e8f4e8}
img{max-width:100%;display:block;margin:1em 0}
"""

# Marks the body once every chart has decoded, so a headless browser can check they rendered.
_SCRIPT = """
window.addEventListener('load',function(){var i=[].slice.call(document.images);
document.body.dataset.chartsLoaded=
i.filter(function(x){return x.complete&&x.naturalWidth>0}).length;});
"""


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode("ascii")


def write_html(result: ExperimentResult, charts: list[Path], out: Path) -> Path:
    """report.html with the comparison table, paired differences and inlined charts."""
    sc = result.scenario
    images = "".join(f'<img alt="{p.stem}" src="data:image/png;base64,{_b64(p)}">' for p in charts)
    strategies = "".join(
        f"<li><b>{html.escape(s.name)}</b>: {html.escape(s.description)}</li>"
        for s in sc.strategies
    )
    body = (
        f"<h1>{html.escape(sc.name)}</h1><p>{html.escape(sc.description)}</p>"
        f"<p>{sc.population.members:,} members, {sc.days} days, {result.seeds} seeds per strategy "
        f"on common random numbers.</p><ul>{strategies}</ul>"
        f"<h2>Summary</h2>{_summary_table(result)}<h2>Differences</h2>"
        f"<p>Shaded: the 95% interval excludes zero.</p>{_difference_tables(result)}"
        f"<h2>Daily series (mean over seeds)</h2>{images}"
    )
    page = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(sc.name)}'
        f"</title><style>{_STYLE}</style><script>{_SCRIPT}</script></head><body>{body}</body></html>"
    )
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


def write_report(result: ExperimentResult, out: Path) -> list[Path]:
    """Every output of an experiment into ``out``; returns the files written."""
    files = write_csvs(result, out)
    charts = write_charts(result, out)
    return [*files, *charts, write_html(result, charts, out)]
