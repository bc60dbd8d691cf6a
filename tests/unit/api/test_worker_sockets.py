"""Each server worker listens on a socket of its own, so connections spread over the workers."""

from __future__ import annotations

import socket
from multiprocessing.reduction import ForkingPickler

import pytest

from api.worker_sockets import STARTUP_FAILURE, SpreadingConfig, reuse_port_socket

pytestmark = pytest.mark.skipif(
    not hasattr(socket, "SO_REUSEPORT"), reason="the platform has no SO_REUSEPORT"
)


def _as_a_worker_receives_it(sock: socket.socket) -> socket.socket:
    """What a spawned worker unpickles from the socket its parent hands it."""
    received: socket.socket = ForkingPickler.loads(ForkingPickler.dumps(sock))
    return received


def test_a_worker_receives_a_new_socket_bound_to_its_parents_address() -> None:
    with (
        reuse_port_socket(socket.AF_INET, ("127.0.0.1", 0)) as parent,
        _as_a_worker_receives_it(parent) as worker,
    ):
        assert worker.fileno() != parent.fileno()
        assert worker.getsockname() == parent.getsockname()
        assert worker.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1


def test_connections_opened_together_reach_both_workers() -> None:
    with reuse_port_socket(socket.AF_INET, ("127.0.0.1", 0)) as parent:
        workers = [_as_a_worker_receives_it(parent) for _ in range(2)]
        for worker in workers:
            worker.listen(64)
            worker.setblocking(False)
        clients = [socket.create_connection(parent.getsockname()) for _ in range(32)]
        accepted = [_accept_all(worker) for worker in workers]
        try:
            assert sum(len(a) for a in accepted) == 32
            # The kernel picks a socket by a hash of each connection's addresses: all 32 on one
            # worker would be a 1 in 2**31 chance.
            assert all(accepted)
        finally:
            for sock in [*clients, *workers, *(s for a in accepted for s in a)]:
                sock.close()


def _accept_all(listener: socket.socket) -> list[socket.socket]:
    accepted = []
    while True:
        try:
            connection, _ = listener.accept()
        except BlockingIOError:
            return accepted
        accepted.append(connection)


def test_an_address_another_program_holds_stops_the_start_up() -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        config = SpreadingConfig("api.app:create_app", host="127.0.0.1", port=port, workers=2)
        with pytest.raises(SystemExit) as stopped:
            config.bind_socket()
        assert stopped.value.code == STARTUP_FAILURE
