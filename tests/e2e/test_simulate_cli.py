"""The simulate and scenarios commands, end to end, and the report in a headless browser."""

import csv
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from simulator.cli import register

CHROMIUM = Path("/usr/bin/chromium")


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sim")
    args = ["simulate", "crisis-response", "--seeds", "3", "--members", "400", "--days", "30"]
    result = CliRunner().invoke(_app(), [*args, "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_scenarios_lists_each_built_in_on_one_line():
    result = CliRunner().invoke(_app(), ["scenarios"])
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert len(lines) >= 6
    assert any(line.startswith("crisis-response ") for line in lines)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_simulate_writes_the_summary_series_charts_and_report(report_dir):
    rows = _read_csv(report_dir / "summary.csv")
    assert {r["strategy"] for r in rows} == {"fast-escalation", "slow", "silent"}
    assert {"mean", "ci_low", "ci_high"} <= set(rows[0])
    daily = _read_csv(report_dir / "daily.csv")
    assert len(daily) == 3 * 3 * 30
    assert len(list(report_dir.glob("chart-*.png"))) >= 4
    assert (report_dir / "differences.csv").exists()


def test_the_report_is_self_contained(report_dir):
    page = (report_dir / "report.html").read_text()
    assert "data:image/png;base64," in page
    assert not re.search(r"""(src|href)=["']https?://""", page)


def test_simulate_names_the_bad_strategy(tmp_path):
    args = ["simulate", "crisis-response", "--strategy", "loud", "--out", str(tmp_path)]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 2
    assert "loud" in result.output


def _chromium(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp / 'profile'}",
    ]  # fmt: skip
    return subprocess.run(
        [str(CHROMIUM), *flags, *args], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)"
)
def test_the_report_renders_its_charts_in_headless_chromium(report_dir, tmp_path):
    page = (report_dir / "report.html").as_uri()
    dom = _chromium("--dump-dom", page, tmp=tmp_path)
    charts = len(list(report_dir.glob("chart-*.png")))
    assert f'data-charts-loaded="{charts}"' in dom.stdout, dom.stderr[-2000:]
    shot = tmp_path / "report.png"
    _chromium(f"--screenshot={shot}", "--window-size=1200,2000", page, tmp=tmp_path)
    assert shot.exists()
    assert shot.stat().st_size > 20_000  # a blank page compresses to a few kilobytes
    shutil.copy(shot, report_dir / "screenshot.png")
