"""`cached` tells a field whether its loader already holds a value it can answer at once."""

from __future__ import annotations

import pytest
from strawberry.dataloader import DataLoader

from api.batching import cached


async def _double(keys: list[int]) -> list[int]:
    return [2 * k for k in keys]


async def _fail(keys: list[int]) -> list[int]:
    raise RuntimeError("database gone")


async def test_a_loaded_key_is_answered_from_the_cache_and_a_new_one_is_not() -> None:
    loader = DataLoader(load_fn=_double)
    assert cached(loader, 3) == (False, None)
    await loader.load_many([3, 4])
    assert cached(loader, 3) == (True, 6)
    assert cached(loader, 5) == (False, None)


async def test_a_pending_or_failed_key_is_not_an_answer() -> None:
    loader = DataLoader(load_fn=_double)
    pending = loader.load(7)
    assert cached(loader, 7) == (False, None)
    assert await pending == 14
    failing = DataLoader(load_fn=_fail)
    with pytest.raises(RuntimeError):
        await failing.load(1)
    assert cached(failing, 1) == (False, None)


async def test_a_loader_without_a_cache_never_answers() -> None:
    loader = DataLoader(load_fn=_double, cache=False)
    await loader.load(2)
    assert cached(loader, 2) == (False, None)
