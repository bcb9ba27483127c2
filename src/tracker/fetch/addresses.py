"""Which hosts are private: loopback, private ranges, link-local and cloud metadata.

Owns: ``is_private_ip`` and ``HostAddresses`` (is a host, as written or as
resolved, inside our own network?), used by the redirect loop so that a public
page cannot bounce the checker into 127.0.0.1, 10.0.0.0/8 or
169.254.169.254 (``is_private_ip`` is also what ``fetch.wire`` checks the
addresses it connects to against). A name is looked up through an injectable resolver (cached
per run); without one (tests over ``httpx.MockTransport``) only literal
addresses and ``localhost`` names count as private. Does not own: the decision
to follow a redirect (``fetch.core``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable

__all__ = ["is_private_ip", "literal_ip", "HostAddresses", "Resolver", "system_resolver"]

Resolver = Callable[[str], Awaitable[list[str]]]

#: cloud metadata endpoints outside the ranges Python already calls private
_METADATA = (ipaddress.ip_network("100.100.100.200/32"), ipaddress.ip_network("fd00:ec2::254/128"))
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa")


def literal_ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def is_private_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved
            or ip.is_multicast or ip.is_unspecified or any(ip in net for net in _METADATA))


async def system_resolver(host: str) -> list[str]:
    """Every address the system resolver gives for ``host`` (empty when it gives none)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return []
    return [str(info[4][0]) for info in infos]


class HostAddresses:
    """``await addresses.is_private(host)``: True for loopback/private/link-local/metadata."""

    def __init__(self, resolver: Resolver | None) -> None:
        self._resolver = resolver
        self._cache: dict[str, bool] = {}

    async def is_private(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        ip = literal_ip(host)
        if ip is not None:
            return is_private_ip(ip)
        if host == "localhost" or host.endswith(_LOCAL_SUFFIXES):
            return True
        if self._resolver is None:
            return False
        if host not in self._cache:
            if len(self._cache) > 4096:
                self._cache.clear()
            addresses = [a for a in (literal_ip(x) for x in await self._resolver(host)) if a is not None]
            self._cache[host] = any(is_private_ip(a) for a in addresses)
        return self._cache[host]
