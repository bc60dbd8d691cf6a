"""Several workers share one metrics directory; one worker keeps its metrics in memory."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from api.serving import prepare_workers


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # prepare_workers writes os.environ itself; monkeypatch restores only what it has recorded,
    # and delenv of an absent name records nothing. Setting first records the name's absence,
    # so the directory a test's prepare_workers sets does not reach later tests (their /metrics
    # would read the empty multiprocess directory instead of this process's counters).
    for name in ("PROMETHEUS_MULTIPROC_DIR", "TOWNSQUARE_DB_POOL_SIZE"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


def test_several_workers_get_a_fresh_shared_metrics_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    prepare_workers(2)
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    assert directory.startswith(str(tmp_path))
    assert os.path.isdir(directory)
    assert os.listdir(directory) == []


def test_one_worker_keeps_its_metrics_in_memory() -> None:
    prepare_workers(1)
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ


def test_a_directory_set_by_the_operator_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "/var/run/metrics")
    prepare_workers(4)
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == "/var/run/metrics"


def test_the_pool_size_reaches_the_workers_through_the_environment() -> None:
    prepare_workers(1, pool_size=25)
    assert os.environ["TOWNSQUARE_DB_POOL_SIZE"] == "25"


def test_a_pool_size_below_one_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from domain.db import configured_pool_size

    monkeypatch.setenv("TOWNSQUARE_DB_POOL_SIZE", "0")
    with pytest.raises(ValueError, match="at least 1"):
        configured_pool_size()
    monkeypatch.setenv("TOWNSQUARE_DB_POOL_SIZE", "7")
    assert configured_pool_size() == 7
