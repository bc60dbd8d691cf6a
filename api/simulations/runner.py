"""Running requested simulations in the background, one at a time per server.

Requests wait in an in-process queue; a single worker task takes them in turn and sends each
(strategy, seed) run to a one-process pool, so a server never spends more than one core on
simulations however many are asked for, and its event loop keeps answering requests. After
each run the row's progress advances and subscribers hear `simulation.progress`; at the end
the row holds the summary (or the reason it failed) and `simulation.finished` is emitted.

Restart safety: every server says it is alive for its runs (a heartbeat); at start-up and
every heartbeat, runs whose server has been silent too long are failed with a reason.

Worker safety: when the worker process dies (killed, out of memory), the pool is broken for
good; the runner drops it, fails the run it was doing with that reason, and starts a fresh
pool for the next run. A pool found broken before a run was handed to it is replaced and
the run goes ahead.

Like the scheduler, the runner works for every organization: its sessions pass row-level
security explicitly (`cross_tenant`), and it reads and writes only the rows of the runs it holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import socket
import uuid
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import timedelta
from typing import Any

from api.simulations.catalogue import scenario_for
from api.simulations.summary import summarize
from api.subscriptions.broadcast import Broadcaster
from api.subscriptions.events import LiveEvent
from domain.db import Database
from domain.simulations.service import SUBJECT, SimulationLedger
from domain.simulations.tables import Simulation
from domain.timeutil import utcnow
from simulator.experiment import assemble, plan_tasks, run_task
from simulator.result import RunResult

log = logging.getLogger(__name__)

SIMULATION_PROGRESS = "simulation.progress"
HEARTBEAT_SECONDS = 10.0
# A run whose server has not said it is alive for this long is failed.
STALE_SECONDS = 60.0
ABANDONED = "the server running it stopped before it finished"
WORKER_DIED = (
    "the worker process running it stopped unexpectedly (killed, or out of memory); "
    "nothing was kept, and the next run gets a new worker"
)


class WorkerDied(RuntimeError):
    """The process running a simulation died; its pool cannot run anything again."""


class SimulationRunner:
    """The queue and worker of one server process."""

    def __init__(
        self,
        database: Database,
        broadcaster: Broadcaster,
        *,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        stale_seconds: float = STALE_SECONDS,
    ) -> None:
        self.database = database
        self.broadcaster = broadcaster
        self.heartbeat_seconds = heartbeat_seconds
        self.stale_seconds = stale_seconds
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.queue: asyncio.Queue[int] = asyncio.Queue()
        self._pool: ProcessPoolExecutor | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def submit(self, simulation_id: int) -> None:
        """Queue a run this server accepted (its row names this runner)."""
        self.queue.put_nowait(simulation_id)

    async def start(self) -> None:
        await self.sweep()
        self._tasks = [
            asyncio.create_task(self._work(), name="simulation-worker"),
            asyncio.create_task(self._beat(), name="simulation-heartbeat"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._drop_pool()

    async def sweep(self) -> list[int]:
        """Fail the runs of servers silent for `stale_seconds`; their ids."""
        silent_since = utcnow() - timedelta(seconds=self.stale_seconds)
        async with self.database.session(cross_tenant=True) as session:
            failed = await SimulationLedger(session).abandon_stale(silent_since, ABANDONED)
        if failed:
            log.warning("failed %d simulations left behind by a stopped server", len(failed))
        return failed

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            try:
                async with self.database.session(cross_tenant=True) as session:
                    await SimulationLedger(session).heartbeat(self.name)
                await self.sweep()
            except Exception:
                log.exception("simulation heartbeat failed")

    async def _work(self) -> None:
        while True:
            simulation_id = await self.queue.get()
            try:
                await self.run(simulation_id)
            except Exception:
                log.exception("simulation %s could not be recorded", simulation_id)

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn, not fork: a fork of a server holding sockets and threads is not safe.
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
        return self._pool

    def _drop_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _submit(self, *task: Any) -> Future[RunResult]:
        """Hand one run to the worker, replacing a pool that broke while it was idle."""
        try:
            return self._executor().submit(run_task, *task)
        except BrokenProcessPool:
            log.warning("the simulation worker had died while idle; starting a new one")
            self._drop_pool()
            return self._executor().submit(run_task, *task)

    async def _run_one(self, *task: Any) -> RunResult:
        try:
            return await asyncio.wrap_future(self._submit(*task))
        except BrokenProcessPool as error:
            self._drop_pool()
            raise WorkerDied(WORKER_DIED) from error

    async def run(self, simulation_id: int) -> None:
        """Run one queued simulation to its end, recording progress, summary or failure."""
        async with self.database.session(cross_tenant=True) as session:
            simulation = await SimulationLedger(session).start(simulation_id, self.name)
        if simulation is None:
            return
        try:
            summary = await self._experiment(simulation)
        except Exception as error:
            log.exception("simulation %s failed", simulation_id)
            async with self.database.session(cross_tenant=True) as session:
                await SimulationLedger(session).fail(simulation_id, f"the run failed: {error}")
            return
        async with self.database.session(cross_tenant=True) as session:
            await SimulationLedger(session).succeed(simulation_id, summary)

    async def _experiment(self, simulation: Simulation) -> dict[str, Any]:
        assert simulation.id is not None
        scenario = scenario_for(
            simulation.scenario, simulation.strategies, simulation.members, simulation.days
        )
        tasks = plan_tasks(scenario, simulation.seeds, simulation.base_seed)
        results = []
        for done, (strategy, index, seed) in enumerate(tasks, start=1):
            result = await self._run_one(scenario, strategy, seed)
            results.append((strategy, index, result))
            await self._advance(simulation, done, len(tasks))
        return summarize(assemble(scenario, simulation.seeds, results))

    async def _advance(self, simulation: Simulation, done: int, total: int) -> None:
        assert simulation.id is not None
        async with self.database.session(cross_tenant=True) as session:
            await SimulationLedger(session).advance(simulation.id, done)
        event = LiveEvent(
            simulation.organization_id,
            SIMULATION_PROGRESS,
            SUBJECT,
            simulation.id,
            {"done": done, "total": total},
        )
        try:
            await self.broadcaster.publish([event])
        except Exception:
            log.exception("publishing simulation progress failed")
