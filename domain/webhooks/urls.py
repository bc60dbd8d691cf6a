"""Which URLs a webhook may target: http(s) only, and in production no private addresses.

A webhook makes the server send requests where a tenant says; without this check a tenant
could reach the cloud metadata service, the database or anything else inside the network
(server-side request forgery). Host names are resolved and every address checked, both when the
webhook is saved and again before each attempt (a name may be re-pointed after it was checked).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

ALLOWED_SCHEMES = frozenset({"http", "https"})
MAX_URL_LENGTH = 2000
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrl(ValueError):
    """The URL may not be a webhook target; the message says why."""

    def __init__(self, message: str, code: str = "UNSAFE_URL") -> None:
        super().__init__(message)
        self.code = code


def check_shape(url: str) -> str:
    """The host of a well-formed http(s) URL, or UnsafeUrl."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl(f"the URL must be at most {MAX_URL_LENGTH} characters", "TOO_LONG")
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018  (raises on a port out of range)
    except ValueError as error:
        raise UnsafeUrl("the URL is malformed", "INVALID_FORMAT") from error
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise UnsafeUrl("only http and https URLs may receive webhooks", "UNSUPPORTED_SCHEME")
    if not parts.hostname:
        raise UnsafeUrl("the URL has no host", "INVALID_FORMAT")
    if parts.username or parts.password:
        raise UnsafeUrl("the URL must not carry credentials", "INVALID_FORMAT")
    return parts.hostname


def is_private(address: IpAddress) -> bool:
    """Loopback, private, link-local (cloud metadata), reserved, multicast or unspecified."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return is_private(address.ipv4_mapped)
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or not address.is_global
    )


async def resolve(host: str) -> list[IpAddress]:
    """Every address `host` names (an IP literal names itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as error:
        raise UnsafeUrl(f"the host {host!r} does not resolve", "UNRESOLVABLE") from error
    return [ipaddress.ip_address(info[4][0]) for info in infos]


async def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse a URL a webhook may not target (UnsafeUrl says why)."""
    host = check_shape(url)
    if allow_private:
        return
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        raise UnsafeUrl("webhooks may not target private or loopback addresses")
    for address in await resolve(host):
        if is_private(address):
            raise UnsafeUrl("webhooks may not target private or loopback addresses")
