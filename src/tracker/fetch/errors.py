"""Named failures of an HTTP exchange, taken from the exception chain.

Owns: ``ErrorClass`` (a ``StrEnum``: its values are the strings stored in the
database and read by ``tracker.links.judge``), ``classify_exception`` (walks
``__cause__``/``__context__`` and exception groups and decides by *type*:
``socket.gaierror``, ``ssl.SSLError``, ``ConnectionRefusedError``, httpx's
timeout classes …, never by ``repr()`` text or raw errno numbers) and
``NETWORK_ERRORS`` (the classes that say more about our own connection than
about the link), ``exchange_errors`` (what an exchange turns into a failed
result instead of raising). Does not own: what a class means for a link or a feed.
"""

from __future__ import annotations

import errno
import socket
import ssl
import sys
from collections.abc import Iterator
from enum import StrEnum

__all__ = ["ErrorClass", "classify_exception", "NETWORK_ERRORS", "TRANSIENT_ERRORS", "describe",
           "ProtocolViolation", "UnsupportedTarget", "UnsafeAddress", "library_exceptions", "exchange_errors"]


class ProtocolViolation(Exception):
    """The server's answer is not HTTP/1.x we can read, or a header we were asked to send is unsafe."""


class UnsupportedTarget(ValueError):
    """A URL the core's own wire cannot request (not http or https)."""


class UnsafeAddress(Exception):
    """A hop that must stay out of private networks found only private addresses to connect to."""


class ErrorClass(StrEnum):
    """Why an exchange produced no usable answer."""

    DNS = "dns"                          # the name does not exist
    DNS_TEMPORARY = "dns_temporary"      # the resolver could not answer now
    REFUSED = "refused"                  # TCP connection refused
    CONNECT_TIMEOUT = "connect_timeout"  # no connection within the deadline
    NETWORK = "network"                  # unreachable network/host, other socket failures
    TLS = "tls"                          # certificate or handshake failure
    TIMEOUT = "timeout"                  # the overall deadline passed after connecting
    RESET = "reset"                      # the peer closed or reset the connection
    PROTOCOL = "protocol"                # not valid HTTP
    INVALID_URL = "invalid_url"          # not an http(s) URL we can request
    TOO_LARGE = "too_large"              # body beyond the caller's cap (callers that refuse prefixes)
    DECODE = "decode"                    # a corrupt compressed body
    BAD_REDIRECT = "bad_redirect"        # redirect to a non-http(s) target
    UNSAFE_REDIRECT = "unsafe_redirect"  # redirect from a public address into a private one
    REDIRECT_REFUSED = "redirect"        # the caller's rule refused the hop (e.g. feed moved host)
    REDIRECT_LOOP = "redirect_loop"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    DEFERRED = "deferred"                # the host asked us to stay away longer than we wait
    ERROR = "error"                      # anything else


#: failures that say more about our own connection than about the link or feed
NETWORK_ERRORS = frozenset({ErrorClass.REFUSED, ErrorClass.CONNECT_TIMEOUT, ErrorClass.NETWORK,
                            ErrorClass.DNS, ErrorClass.DNS_TEMPORARY})
#: failures worth another try within the run
TRANSIENT_ERRORS = frozenset({ErrorClass.TIMEOUT, ErrorClass.CONNECT_TIMEOUT, ErrorClass.RESET,
                              ErrorClass.REFUSED, ErrorClass.NETWORK, ErrorClass.DNS_TEMPORARY,
                              ErrorClass.PROTOCOL})

_DNS_TEMPORARY = {getattr(socket, name) for name in ("EAI_AGAIN",) if hasattr(socket, name)}
_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN}


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its causes and contexts, and members of exception groups (bounded)."""
    todo: list[BaseException] = [exc]
    seen: set[int] = set()
    while todo and len(seen) < 32:
        node = todo.pop(0)
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        if isinstance(node, BaseExceptionGroup):
            todo.extend(node.exceptions)
        for nxt in (node.__cause__, node.__context__):
            if nxt is not None:
                todo.append(nxt)


def classify_exception(exc: BaseException) -> ErrorClass:
    """The ``ErrorClass`` of a failed exchange, by the types in its exception chain."""
    chain = list(_chain(exc))
    lib = library_exceptions

    def has(kind: type[BaseException] | tuple[type[BaseException], ...]) -> bool:
        return any(isinstance(e, kind) for e in chain)

    if has(UnsafeAddress):
        return ErrorClass.UNSAFE_REDIRECT
    if has(ssl.SSLError):  # SSLCertVerificationError is a subclass
        return ErrorClass.TLS
    gai = next((e for e in chain if isinstance(e, socket.gaierror)), None)
    if gai is not None:
        return ErrorClass.DNS_TEMPORARY if gai.errno in _DNS_TEMPORARY else ErrorClass.DNS
    if has(ConnectionRefusedError):
        return ErrorClass.REFUSED
    if has(lib("ConnectTimeout")):
        return ErrorClass.CONNECT_TIMEOUT
    if has((*lib("TimeoutException"), TimeoutError)):
        return ErrorClass.TIMEOUT
    if has((ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
        return ErrorClass.RESET
    if has((*lib("UnsupportedProtocol", "InvalidURL"), UnsupportedTarget)):
        return ErrorClass.INVALID_URL
    if has(lib("RemoteProtocolError")):
        # h11 raises its own error for malformed HTTP; a bare one means the peer hung up
        malformed = any(type(e).__module__.split(".")[0] == "h11" for e in chain)
        return ErrorClass.PROTOCOL if malformed else ErrorClass.RESET
    if has((*lib("LocalProtocolError"), ProtocolViolation)):
        return ErrorClass.PROTOCOL
    if any(isinstance(e, OSError) and e.errno in _UNREACHABLE for e in chain):
        return ErrorClass.NETWORK
    if has(lib("ConnectError")):
        return ErrorClass.NETWORK
    if has(lib("ReadError", "WriteError")):
        return ErrorClass.RESET
    if has(OSError):
        return ErrorClass.NETWORK
    return ErrorClass.ERROR


def library_exceptions(*names: str) -> tuple[type[BaseException], ...]:
    """httpx's and httpcore's exception classes called ``names``, from whichever of the two is
    imported: an exception of a library nobody imported cannot be in a chain, and the link
    checker's own wire never imports them (their import costs ~0.1 s of every start)."""
    found: list[type[BaseException]] = []
    for library in ("httpx", "httpcore"):
        module = sys.modules.get(library)
        if module is not None:
            found += [cls for name in names if isinstance(cls := getattr(module, name, None), type)]
    return tuple(found)


def exchange_errors() -> tuple[type[BaseException], ...]:
    """The exceptions an exchange turns into a failed ``FetchResult``: socket, TLS and protocol
    errors, and httpx's and httpcore's own when a caller's transport brought them in (their
    exceptions cannot occur otherwise; the tuple is built only when something was raised)."""
    return (ProtocolViolation, UnsafeAddress, OSError, ValueError, ssl.SSLError,
            *library_exceptions("HTTPError", "InvalidURL", "UnsupportedProtocol", "ProtocolError", "NetworkError",
                                "TimeoutException", "ProxyError"))


def describe(exc: BaseException) -> str:
    """One line for a report: the message, or the class name when there is none."""
    text = str(exc).strip() or exc.__class__.__name__
    return text.splitlines()[0][:300]
