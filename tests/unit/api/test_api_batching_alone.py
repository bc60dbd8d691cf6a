"""`alone`: a call on the request's session runs to its end even when its field is cancelled."""

from __future__ import annotations

import asyncio

import pytest

from api.batching import alone


async def test_a_cancelled_field_lets_its_started_statement_finish_before_it_stops() -> None:
    lock = asyncio.Lock()
    finished: list[str] = []

    async def statement(name: str) -> str:
        await asyncio.sleep(0.05)
        finished.append(name)
        return name

    field = asyncio.create_task(alone(lock, statement, "select"))
    await asyncio.sleep(0.01)
    field.cancel()

    with pytest.raises(asyncio.CancelledError):
        await field
    assert finished == ["select"]
    assert not lock.locked()


async def test_a_field_cancelled_while_waiting_for_the_lock_runs_nothing() -> None:
    lock = asyncio.Lock()
    ran: list[str] = []

    async def statement() -> None:
        ran.append("statement")

    async with lock:
        field = asyncio.create_task(alone(lock, statement))
        await asyncio.sleep(0.01)
        field.cancel()
        with pytest.raises(asyncio.CancelledError):
            await field
    assert ran == []


async def test_alone_returns_what_the_call_returns() -> None:
    async def statement(a: int, b: int) -> int:
        return a + b

    assert await alone(asyncio.Lock(), statement, 2, 3) == 5
