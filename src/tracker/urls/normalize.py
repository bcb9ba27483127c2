"""The URL as written, normalised only as RFC 3986 allows (pure).

Owns: turning the text of a link into the address to request, look up in the
archive, report and export. The steps are RFC 3986 §6.2.2–6.2.3 (syntax- and
scheme-based normalisation) plus the RFC 3987 mapping of an IRI to a URI:

* scheme and host lower-cased; an international host becomes its IDNA A-label
  (``bücher.test`` → ``xn--bcher-kva.test``);
* the default port (80 for http, 443 for https) and an empty port removed;
  an empty path becomes ``/``;
* dot segments removed (``/a/./b/../c`` → ``/a/c``);
* percent-escapes: hex digits upper-cased; an escape of an *unreserved*
  character (``A-Z a-z 0-9 - . _ ~``) decoded; an escape of a *reserved*
  character (``%2F``, ``%2B``, ``%25``, ``%3A``…) never decoded;
* characters a URI cannot hold (non-ASCII, ``| { } ^ ` \\ [ ]`` outside the
  host, a ``%`` that starts no escape) percent-encoded as UTF-8.

Nothing else changes: query order, ``+``, empty ``?``, tracking parameters and
the fragment stay as the author wrote them. The parsing, IDNA and dot-segment
steps are the ``rfc3986`` library's (with ``idna`` for IDNA 2008 / UTS #46).
Does not own: identity and grouping (``tracker.urls.identity``) or HTTP.
"""

from __future__ import annotations

import re
from functools import lru_cache


__all__ = ["InvalidURL", "MAX_URL_CHARS", "normalize", "request_url", "UNRESERVED"]

MAX_URL_CHARS = 2000  # canonical URLs are indexed String(2048) columns

#: RFC 3986 §2.3 (rfc3986's own set wrongly holds "!", a sub-delimiter)
UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_DEFAULT_PORTS = {"http": "80", "https": "443"}
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
#: whitespace and control characters (a URL as written may contain none)
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_HOST = re.compile(r"^(?:[a-z0-9\-._~]+|\[[0-9a-f:.]+\])$")
#: a URL already in normal form (most links): lower-case scheme and DNS host, only
#: unreserved and reserved characters, no escape; the caller still checks port and dots
_NORMAL = re.compile(
    r"^https?://(?P<host>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*)"
    r"(?::(?P<port>[1-9][0-9]{0,4}))?(?P<path>/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*)"
    r"(?:\?[A-Za-z0-9\-._~!$&'()*+,;=:@/?]*)?(?:#[A-Za-z0-9\-._~!$&'()*+,;=:@/?]*)?$")


class InvalidURL(ValueError):
    """The text is not an absolute http(s) URL that tracker can follow."""


def _unreserved_decoded(component: str) -> str:
    """Decode the escapes of unreserved characters, upper-case the hex of all others."""
    def one(m: re.Match[str]) -> str:
        char = chr(int(m.group(1), 16))
        return char if char in UNRESERVED else "%" + m.group(1).upper()
    return _ESCAPE.sub(one, component)


def _brackets_encoded(component: str | None) -> str | None:
    """``[`` and ``]`` are legal only around an IPv6 host; rfc3986 leaves them in paths."""
    if component is None:
        return None
    return component.replace("[", "%5B").replace("]", "%5D")


def _idna_label(label: str) -> str | bytes:
    if label.isascii():
        return label.lower()
    import idna

    try:
        return idna.encode(label, uts46=True)
    except idna.IDNAError as exc:
        raise InvalidURL(f"host label {label!r} is not a valid international domain name: {exc}") from None


def _checked_port(port: str | None, scheme: str, url: str) -> str | None:
    if not port or port == _DEFAULT_PORTS[scheme]:
        return None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidURL(f"URL {url!r} has an invalid port {port!r}")
    return str(int(port))


@lru_cache(maxsize=65536)
def normalize(url: str) -> str:
    """The RFC 3986 normal form of an absolute http(s) URL as written; raises ``InvalidURL``.

    ``normalize("HTTP://Bücher.TEST:80/a/./b%7e/%2f?x=%2b#Top")`` →
    ``"http://xn--bcher-kva.test/a/b~/%2F?x=%2B#Top"``.
    """
    text = url.strip()
    if len(text) > MAX_URL_CHARS:
        raise InvalidURL(f"URL is {len(text)} characters long, over the {MAX_URL_CHARS}-character limit")
    if _CONTROL.search(text):
        raise InvalidURL(f"URL {url!r} contains whitespace or control characters")
    fast = _NORMAL.match(text)
    if fast and "/." not in fast["path"] and len(fast["host"]) <= 253 and \
            fast["port"] not in _DEFAULT_PORTS.values() and int(fast["port"] or 1) < 65536:
        return text  # already normal: nothing RFC 3986 would change (tests compare both paths)
    return _normalized(url, text)


def _normalized(url: str, text: str) -> str:
    """The general path of ``normalize``: parse with rfc3986 and apply every step."""
    scheme_end = text.find(":")
    scheme = text[:scheme_end].lower() if scheme_end > 0 else ""
    if scheme not in _DEFAULT_PORTS:
        raise InvalidURL(f"URL {url!r} is not http(s)")
    # imported here: URLs already in normal form (most) never need them, and commands that
    # only read stored URLs (a check with nothing due) start ~25 ms sooner
    import rfc3986
    from rfc3986 import exceptions as rfc_exceptions
    from rfc3986 import normalizers

    try:
        iri = rfc3986.iri_reference(_STRAY_PERCENT.sub("%25", text))
        uri = iri.encode(idna_encoder=_idna_label)
        authority = uri.authority_info()
    except (rfc_exceptions.RFC3986Exception, ValueError) as exc:
        if isinstance(exc, InvalidURL):
            raise
        raise InvalidURL(f"malformed URL {url!r}: {exc}") from None
    host = normalizers.normalize_host(authority["host"] or "")
    if not host or len(host) > 253 or not _HOST.match(host) or ".." in host or host.startswith("."):
        raise InvalidURL(f"URL {url!r} has no valid host name")
    port = _checked_port(authority["port"], scheme, url)
    path = normalizers.remove_dot_segments(_unreserved_decoded(_brackets_encoded(uri.path) or "")) or "/"
    query = _brackets_encoded(uri.query)
    fragment = _brackets_encoded(uri.fragment)
    userinfo = authority["userinfo"]
    out = [scheme, "://"]
    if userinfo is not None:
        out += [_unreserved_decoded(userinfo), "@"]
    out.append(host)
    if port is not None:
        out += [":", port]
    out.append(path)
    if query is not None:
        out += ["?", _unreserved_decoded(query)]
    if fragment is not None:
        out += ["#", _unreserved_decoded(fragment)]
    result = "".join(out)
    if len(result) > MAX_URL_CHARS:
        raise InvalidURL(f"URL {url!r} is over {MAX_URL_CHARS} characters once percent-encoded")
    return result


def request_url(url: str) -> str:
    """What goes on the wire (and to the archive): ``normalize(url)`` without its fragment."""
    return normalize(url).split("#", 1)[0]
