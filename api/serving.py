"""How `townsquare serve` runs its worker processes: the environment they need before they
start, and a listening socket of their own each (`api.worker_sockets`), so that connections
opened together do not all land on one worker.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from api.observability import MULTIPROCESS_VARIABLE
from api.worker_sockets import SPREADS_CONNECTIONS, SpreadingConfig
from domain.db import POOL_SIZE_VARIABLE

# How long a worker may leave its parent's health check unanswered before it is killed and
# replaced (uvicorn's default is 5 s). A spawned worker first imports the parent's main module
# (`api.cli`, the whole application: 3.8 s at load 4 on this 2-core box) before it can answer;
# with 5 s, workers starting on a busy machine were killed and restarted over and over.
WORKER_HEALTHCHECK_SECONDS = 30


def prepare_workers(workers: int, pool_size: int | None = None) -> None:
    """Give several workers one shared metrics directory, and each the pool size asked for.

    Workers inherit the environment; prometheus_client reads the directory when it is imported,
    so it must be set before the workers start.
    """
    if pool_size is not None:
        os.environ[POOL_SIZE_VARIABLE] = str(pool_size)
    if workers > 1 and not os.environ.get(MULTIPROCESS_VARIABLE):
        os.environ[MULTIPROCESS_VARIABLE] = tempfile.mkdtemp(prefix="townsquare-metrics-")


def run(app: str, *, host: str, port: int, workers: int, **options: Any) -> None:
    """Serve the ASGI application named `app` (an import string) as `uvicorn.run` does, with
    several workers each listening on a socket of its own."""
    if workers == 1 or options.get("reload") or not SPREADS_CONNECTIONS:
        uvicorn.run(app, host=host, port=port, workers=workers, **options)
        return
    options.setdefault("timeout_worker_healthcheck", WORKER_HEALTHCHECK_SECONDS)
    config = SpreadingConfig(app, host=host, port=port, workers=workers, **options)
    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=[config.bind_socket()]).run()
