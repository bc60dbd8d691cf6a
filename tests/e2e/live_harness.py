"""Shared pieces of the live (websocket) tests: a real uvicorn server, a graphql-transport-ws
client, and a way to act until a subscription has heard about it.

A subscription is registered on the server some moments after the client sends `subscribe`,
and the protocol has no message saying when; so a test repeats its action (each time on a
fresh subject) until the first event arrives, and then asserts on what arrived.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

TRANSPORT_WS = Subprotocol("graphql-transport-ws")
LEGACY_WS = Subprotocol("graphql-ws")
WAIT_SECONDS = 1.0
ATTEMPTS = 20


@asynccontextmanager
async def served(app: Starlette) -> AsyncIterator[str]:
    """`app` served by uvicorn on a free loopback port, with its lifespan; its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="on", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


class LiveClient:
    """One graphql-transport-ws connection."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.ids = itertools.count(1)

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(orjson.dumps(message).decode())

    async def receive(self, seconds: float = WAIT_SECONDS) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.socket.recv(), seconds)
        message: dict[str, Any] = orjson.loads(raw)
        return message

    async def init(self, key: str | None) -> dict[str, Any]:
        payload = {"authorization": f"Bearer {key}"} if key is not None else {}
        await self.send({"type": "connection_init", "payload": payload})
        return await self.receive(5.0)

    async def subscribe(self, query: str, **variables: Any) -> str:
        operation = str(next(self.ids))
        payload = {"query": query, "variables": variables}
        await self.send({"id": operation, "type": "subscribe", "payload": payload})
        return operation

    async def next_data(self, operation: str, seconds: float = WAIT_SECONDS) -> dict[str, Any]:
        """The data of the operation's next result; fails on an error or a completion."""
        message = await self.receive(seconds)
        assert message.get("id") == operation, message
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message["payload"]
        data: dict[str, Any] = message["payload"]["data"]
        return data

    async def drain(self, operation: str, seconds: float = WAIT_SECONDS) -> list[dict[str, Any]]:
        """The data of every result that arrives until `seconds` pass without one."""
        found = []
        while True:
            try:
                found.append(await self.next_data(operation, seconds))
            except TimeoutError:
                return found

    async def until(
        self, operation: str, accept: Callable[[dict[str, Any]], bool], seconds: float = 30.0
    ) -> list[dict[str, Any]]:
        """The data of every result up to and including the first that `accept`s.

        Waits as long as a loaded machine may need, instead of a fixed quiet period that a slow
        server overruns."""
        found: list[dict[str, Any]] = []
        async with asyncio.timeout(seconds):
            while not found or not accept(found[-1]):
                found.append(await self.next_data(operation, seconds))
        return found

    async def quiet(self, seconds: float = WAIT_SECONDS) -> bool:
        """Whether nothing arrives within `seconds`."""
        try:
            message = await self.receive(seconds)
        except TimeoutError:
            return True
        raise AssertionError(f"expected nothing, got {message}")


@asynccontextmanager
async def live(
    base: str, key: str | None, protocol: Subprotocol = TRANSPORT_WS
) -> AsyncIterator[LiveClient]:
    """A connection to `ws://<base>/graphql`, initialised with `key`; acknowledged or failed."""
    async with connect(f"ws://{base}/graphql", subprotocols=[protocol]) as socket:
        client = LiveClient(socket)
        ack = await client.init(key)
        assert ack["type"] == "connection_ack", ack
        yield client


async def closed_with(base: str, payload: dict[str, Any] | None, protocol: Subprotocol) -> int:
    """The close code a connection gets after sending `connection_init` with `payload`."""
    init = orjson.dumps({"type": "connection_init", "payload": payload or {}}).decode()
    async with connect(f"ws://{base}/graphql", subprotocols=[protocol]) as socket:
        with pytest.raises(ConnectionClosed) as closed:
            await _send_and_read(socket, init)
    received = closed.value.rcvd
    assert received is not None
    return received.code


async def _send_and_read(socket: ClientConnection, message: str) -> None:
    await socket.send(message)
    while True:
        await asyncio.wait_for(socket.recv(), 5.0)


async def until_heard(
    client: LiveClient,
    operation: str,
    act: Callable[[int], Awaitable[object]],
    accept: Callable[[dict[str, Any]], bool] = lambda _data: True,
) -> dict[str, Any]:
    """Run `act(attempt)` until the subscription `operation` yields data that `accept`s."""
    for attempt in range(ATTEMPTS):
        await act(attempt)
        for data in await client.drain(operation):
            if accept(data):
                return data
    raise AssertionError(f"operation {operation} heard nothing after {ATTEMPTS} attempts")


class Http:
    """GraphQL over real HTTP to the same server, as one key."""

    def __init__(self, base: str, key: str) -> None:
        self.url = f"http://{base}/graphql"
        self.key = key

    async def data(self, query: str, **variables: Any) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(
                self.url,
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {self.key}"},
            )
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        return body["data"]  # type: ignore[no-any-return]
