"""Simulator benchmarks: prints figures (not a test). Targets are in docs/PERFORMANCE.md.

    python benchmarks/simulator.py                 # everything (several minutes)
    python benchmarks/simulator.py --quick         # scaled-down versions of each figure
    python benchmarks/simulator.py --only huge     # one of: huge, sweep, loop

huge:  1,000,000 members x 365 days, one strategy, one seed (target <= 60 s, <= 4 GiB peak).
sweep: 100,000 members x 365 days x 20 seeds x 2 strategies on a process pool (target <= 120 s).
loop:  the same daily rules as a plain per-agent Python loop (the way a Mesa model is written)
       against the vectorised engine, both on 2,000 members: prints the speed ratio.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator import SIZES, builtin_scenario, run, run_experiment
from simulator.population import build_members
from simulator.scenario import Scenario
from simulator.streams import make_streams


def peak_rss_gib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def _scenario(members: int, days: int) -> Scenario:
    return builtin_scenario("quality-vs-quantity").resized(members=members, days=days)


def _loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().split(" ")[0]
    except OSError:
        return "?"


def bench_huge(members: int, days: int) -> None:
    scenario = _scenario(members, days)
    load = _loadavg()
    start, cpu = time.perf_counter(), time.process_time()
    result = run(scenario, "quality", 1)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    member_days = float(result.daily["audience"].sum())
    print(f"huge: {members:,} members x {days} days, 1 strategy, 1 seed: {seconds:.1f} s "
          f"(CPU {cpu:.1f} s), peak RSS {peak_rss_gib():.2f} GiB, "
          f"{member_days / seconds:,.0f} member-days/s (final audience "
          f"{result.summary['audience']:,.0f}); "
          f"load average {load} before, {_loadavg()} after")  # fmt: skip


def bench_sweep(members: int, days: int, seeds: int, workers: int) -> None:
    scenario = _scenario(members, days)
    load = _loadavg()
    start, children = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    result = run_experiment(scenario, seeds, workers=workers)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    runs = sum(len(r) for r in result.runs.values())
    # CPU over wall x workers: how busy the workers kept the cores (1.0 = every core all along).
    print(f"sweep: {members:,} members x {days} days x {seeds} seeds x 2 strategies "
          f"({runs} runs, {workers} workers): {seconds:.1f} s; workers' CPU {cpu:.1f} s "
          f"({cpu / runs:.2f} s a run), cores busy {cpu / (seconds * workers):.0%}; "
          f"load average {load} before, {_loadavg()} after")  # fmt: skip


class Agent:
    """One member as an object, as an agent-based framework would hold it."""

    def __init__(self, row: int, m) -> None:
        self.row = row
        self.interests = [float(x) for x in m.interests[row]]
        self.affinity, self.visit = float(m.affinity[row]), float(m.visit[row])
        self.creator = float(m.creator[row])
        self.trust, self.love = float(m.trust[row]), float(m.love[row])
        self.relevance = float(m.relevance[row])
        self.followers = [
            int(f)
            for f in m.followers.indices[m.followers.indptr[row] : m.followers.indptr[row + 1]]
        ]
        self.joined, self.left = int(m.join_day[row]) == 0, False


def loop_model(scenario: Scenario, seed: int) -> float:
    """The engine's daily rules, agent by agent with Python's own loops; returns seconds."""
    import random  # the per-agent baseline draws like a Mesa model would, one number at a time

    rnd = random.Random(seed)
    m = build_members(scenario, scenario.strategies[0], make_streams(seed))
    agents = [Agent(i, m) for i in range(m.capacity)]
    dyn, s, n_topics = scenario.dynamics, scenario.strategies[0], len(scenario.topics)
    start = time.perf_counter()
    pool: list[list[float]] = []  # [topic, quality, brand, day, engaged]
    market = [a for a in agents if not a.joined]
    for day in range(scenario.days):
        adopted = sum(a.joined for a in agents)
        hazard = (
            scenario.population.bass_p + scenario.population.bass_q * adopted / len(agents)
        ) / 365
        for a in market:
            if not a.joined and rnd.random() < hazard:
                a.joined = True
        alive = [a for a in agents if a.joined and not a.left]
        pool = [p for p in pool if p[3] >= day - 1]
        for _ in range(np.random.default_rng(day).poisson(s.posts_per_day)):
            pool.append([rnd.randrange(n_topics), s.quality, 1.0, day, 0.0])
        visitors = [a for a in alive if rnd.random() < min(a.visit * (0.5 + a.love), 1.0)]
        for a in visitors:
            if rnd.random() < a.creator:
                pool.append(
                    [
                        rnd.choices(range(n_topics), a.interests)[0],
                        rnd.betavariate(2, 3),
                        0.0,
                        day,
                        0.0,
                    ]
                )
        if not pool:
            continue
        weights = [(1.0 if p[3] == day else 0.5) * (1 + p[4]) for p in pool]
        shares = []
        for a in visitors:
            for p in rnd.choices(pool, weights, k=dyn.feed_size):
                if _engage(a, p, dyn, n_topics, rnd):
                    shares.append((a, p))
        for _ in range(dyn.cascade_depth):
            nxt = []
            for a, p in shares:
                for f in a.followers:
                    b = agents[f]
                    if (
                        b.joined
                        and not b.left
                        and rnd.random() < dyn.share_attention
                        and _engage(b, p, dyn, n_topics, rnd)
                    ):
                        nxt.append((b, p))
            shares = nxt
        for a in alive:
            if rnd.random() < dyn.complaint_rate:
                answered = rnd.random() < s.response_share
                a.trust = (
                    min(a.trust + dyn.trust_answer_gain, 1)
                    if answered
                    else max(a.trust - dyn.trust_ignored_loss, 0)
                )
            a.love *= 1 - dyn.love_decay
            h = dyn.churn_daily * math.exp(
                dyn.churn_trust_factor * (0.5 - a.trust)
                + dyn.churn_relevance_factor * (0.5 - a.relevance)
            )
            if rnd.random() < min(h, 1.0):
                a.left = True
    return time.perf_counter() - start


def _engage(a: Agent, p: list[float], dyn, n_topics: int, rnd) -> bool:
    raw = a.interests[int(p[0])] * n_topics
    match = min(raw, 1.0) * a.affinity
    a.relevance = 0.9 * a.relevance + 0.1 * match
    social = 1 + dyn.social_proof * math.log1p(p[4])
    intensity = (
        dyn.base_engagement * a.affinity * raw * (0.3 + 1.4 * p[1]) * (0.5 + a.trust) * social
    )
    if rnd.random() >= -math.expm1(-intensity):
        return False
    p[4] += 1
    a.trust = min(a.trust + dyn.trust_relevance_gain * match, 1.0)
    a.love += dyn.love_rate * match * (1 - a.love)
    u = rnd.random()
    return u >= dyn.like_share + dyn.comment_share


def bench_loop(members: int, days: int) -> None:
    scenario = _scenario(members, days).only(["quality"])
    loop_seconds = loop_model(scenario, 3)
    start = time.perf_counter()
    run(scenario, "quality", 3)
    vector_seconds = time.perf_counter() - start
    print(f"loop: {members:,} members x {days} days: per-agent Python loop {loop_seconds:.2f} s, "
          f"vectorised engine {vector_seconds:.2f} s (population build included), "
          f"ratio {loop_seconds / vector_seconds:.1f}x")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", choices=["huge", "sweep", "loop"], action="append")
    parser.add_argument(
        "--quick", action="store_true", help="scaled-down figures (seconds, not minutes)"
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    chosen = args.only or ["loop", "huge", "sweep"]
    small, large, huge = SIZES["small"], SIZES["large"], SIZES["huge"]
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} cores")
    if "loop" in chosen:
        bench_loop(small.members, 30 if args.quick else small.days)
        # The vectorised engine's fixed cost per day is amortised over more members.
        bench_loop(small.members * 10, 30)
    if "huge" in chosen:
        bench_huge(huge.members // (10 if args.quick else 1), 60 if args.quick else huge.days)
    if "sweep" in chosen:
        seeds = 2 if args.quick else 20
        bench_sweep(
            large.members // (10 if args.quick else 1),
            60 if args.quick else large.days,
            seeds,
            args.workers,
        )


if __name__ == "__main__":
    main()
