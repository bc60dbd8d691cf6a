"""Field duplication: what validating `{ viewer { role role ... } }` costs, beside the refusal.

    python benchmarks/duplicate_fields.py [--repeat 5]

For 10, 100, 500 and 1000 copies of one field, prints the median time graphql-core takes to
validate the document against the schema (what a server without the duplicate limit pays
before refusing or running it) and the median time `api.duplicates.worst_duplicate` takes to
count the copies (what Townsquare pays before refusing it), and their ratio. Parsing is done
once, outside the timings. One process, one core.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from graphql import parse, validate

# The repository first: benchmarks/api.py would otherwise shadow the api package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.remove(str(Path(__file__).resolve().parent))

from api.duplicates import worst_duplicate
from api.schema import schema


def median_ms(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'copies':>7} {'validate ms':>12} {'count ms':>9} {'ratio':>7}")
    for copies in (10, 100, 500, 1000):
        document = parse("{ viewer { " + "role " * copies + "} }")
        validating = median_ms(lambda d=document: validate(schema._schema, d), args.repeat)
        counting = median_ms(lambda d=document: worst_duplicate(d), args.repeat)
        print(f"{copies:>7} {validating:>12.2f} {counting:>9.3f} {validating / counting:>7.0f}")


if __name__ == "__main__":
    main()
