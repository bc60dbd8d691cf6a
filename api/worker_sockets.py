"""A listening socket of its own for each server worker, so that the kernel spreads
connections evenly over the workers (SO_REUSEPORT).

Uvicorn's workers share the one socket their parent bound, and an event loop that wakes for a
ready socket accepts every connection waiting on it. Clients that open their keep-alive
connections together (a load balancer's pool, a benchmark's sixteen) may then all land on the
first worker to wake, and stay there: with two workers the dashboard benchmark measured 0.96x
one worker, and its connections were 16 on one worker, none on the other. With SO_REUSEPORT
each worker listens on a socket of its own on the same address, and Linux hands each new
connection to one of them by a hash of its addresses.

This module imports nothing of the application: a spawned worker unpickles it before it
answers its parent's health checks, and uvicorn kills a worker that stays silent 5 seconds.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

import uvicorn

logger = logging.getLogger("uvicorn.error")
# Linux and the BSDs have it; where it is missing, workers share their parent's socket.
SPREADS_CONNECTIONS = hasattr(socket, "SO_REUSEPORT")
# uvicorn's exit code for a server that could not start.
STARTUP_FAILURE = 3


class WorkerSocket(socket.socket):
    """A socket bound with SO_REUSEPORT that a worker process receives as a new socket of its
    own on the same address, not as a copy of this one.

    Uvicorn hands its parent's socket to each worker it spawns by pickling it; this class's
    pickle is "bind another one here", so every worker (a restarted one too) listens apart.
    The parent's own socket is never listened on: it only holds the address while workers
    come and go.
    """

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return (reuse_port_socket, (self.family, self.getsockname()))


def reuse_port_socket(family: int, address: Any) -> WorkerSocket:
    """A TCP socket bound to `address` that other sockets of this user may bind to as well."""
    sock = WorkerSocket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


class SpreadingConfig(uvicorn.Config):
    """Uvicorn's configuration, binding a `WorkerSocket` instead of one shared socket."""

    def bind_socket(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        try:
            sock = reuse_port_socket(family, (self.host, self.port))
        except OSError as error:
            logger.error(error)
            raise SystemExit(STARTUP_FAILURE) from error
        host, port = sock.getsockname()[:2]
        logger.info("Uvicorn running on http://%s:%d, a socket per worker", host, port)
        return sock
