"""What the environment of the server's worker processes needs before they start."""

from __future__ import annotations

import os
import tempfile

from api.observability import MULTIPROCESS_VARIABLE
from domain.db import POOL_SIZE_VARIABLE


def prepare_workers(workers: int, pool_size: int | None = None) -> None:
    """Give several workers one shared metrics directory, and each the pool size asked for.

    Workers inherit the environment; prometheus_client reads the directory when it is imported,
    so it must be set before the workers start.
    """
    if pool_size is not None:
        os.environ[POOL_SIZE_VARIABLE] = str(pool_size)
    if workers > 1 and not os.environ.get(MULTIPROCESS_VARIABLE):
        os.environ[MULTIPROCESS_VARIABLE] = tempfile.mkdtemp(prefix="townsquare-metrics-")
