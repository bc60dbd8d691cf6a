"""Townsquare as `townsquare serve` runs it, with the one API key's rate limit lifted.

The benchmark drives every operation with one key over 16 connections. A key's bucket refills
at 500 cost points a second (`TrustSettings.restore_rate`), so a thread read (cost 104) is
capped at about 5 requests a second whatever the server can do, and the rest are refused with
THROTTLED. Throughput is what this measures, not the limit's policy: the bucket here is large
enough never to refuse, but every request still takes and gives back its cost, as served.
Run by `benchmarks/api.py` as `python benchmarks/apiservers/served.py --port P --workers N`,
which serves it as `townsquare serve` does (`api.serving.run`: with several workers, a listening
socket each).
"""

from __future__ import annotations

import argparse
import dataclasses

from starlette.applications import Starlette

from api.app import create_app as create_townsquare
from api.settings import TrustSettings

UNLIMITED = 10**12


def create_app() -> Starlette:
    settings = TrustSettings.from_env()
    unthrottled = dataclasses.replace(settings, bucket_size=UNLIMITED, restore_rate=UNLIMITED)
    return create_townsquare(settings=unthrottled)


def main() -> None:
    from api.serving import prepare_workers, run

    parser = argparse.ArgumentParser(description="Serve Townsquare for the API benchmark")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    prepare_workers(args.workers)
    # This file's directory is first on sys.path here, and spawned workers inherit sys.path.
    run(
        "served:create_app",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
