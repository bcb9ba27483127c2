"""What one exchange means: ok, a hard failure, a transient failure or a bot block.

Owns: the status-code table, soft-404 judgement and bot-block detection, and
the sibling probe (a made-up URL next to the page, at most one per host and
path prefix per run: when it gets the same page, the site answers anything).

    hard       404, 410, other 4xx that are not refusals, NXDOMAIN, persistent
               refusal or TLS failure, redirect loops/overlong chains/non-http
               targets, soft 404s (root or /404 redirects, "not found" pages,
               catch-all pages identical to a random sibling)
    blocked    401, 403, 407, 451, 999, a 429 that outlasts the run's retries,
               challenge pages (Cloudflare, Akamai, captchas) whatever the status
    transient  timeouts, resets, 5xx, 408, a host that asked us to come back later, a
               redirect from a public address into a private one (refused, reported)
    ok         2xx and 304; a 301/308 chain yields ``suggested_url``

Does not own: retries (``tracker.fetch``), or what a history of verdicts means
(``policy``).
"""

from __future__ import annotations

import dataclasses
import re
from urllib.parse import urlsplit, urlunsplit

from tracker.links.model import Exchange, Outcome, Verdict
from tracker.links.text import extract_title, similarity, visible_text, word_count

__all__ = ["carry_fragment", "classify", "needs_probe", "probe_answered", "probe_key", "probe_url", "is_soft404_path",
           "SIBLING_SIMILARITY", "THIN_PAGE_WORDS"]

SIBLING_SIMILARITY = 0.8
SAME_PAGE_SIMILARITY = 0.95
THIN_PAGE_WORDS = 600
SHELL_PAGE_WORDS = 15
_PERMANENT = (301, 308)

_NOT_FOUND_TITLE = re.compile(
    r"(\b404\b|not\s+found|page\s+(?:does\s*n[o']t|doesn.t)\s+exist|(?:page|content|post|article)\s+"
    r"(?:is\s+)?(?:no\s+longer\s+available|unavailable|missing|removed|gone)|couldn.t\s+find|"
    r"could\s+not\s+be\s+found|can.t\s+be\s+found|cannot\s+be\s+found|nothing\s+(?:was\s+)?found|"
    r"page\s+not\s+available|seite\s+nicht\s+gefunden|page\s+introuvable|página\s+no\s+encontrada|"
    r"\berror\b\s*(?:page)?$|^oops\b|lost\s+in\s+space|dead\s+end)", re.I)
_NOT_FOUND_TEXT = re.compile(
    r"(\b404\b|page\s+(?:was\s+)?not\s+found|page\s+(?:you.re|you\s+are|you\s+were)\s+looking\s+for|"
    r"does\s*n.t\s+exist|no\s+longer\s+(?:exists|available)|could\s*n.t\s+find|could\s+not\s+be\s+found|"
    r"can.t\s+be\s+found|cannot\s+be\s+found|has\s+been\s+(?:removed|deleted|moved)|nothing\s+here|"
    r"not\s+found)", re.I)
_ERROR_PATH = re.compile(
    r"(^|/)(404|410|not[-_]?found|notfound|page[-_]?not[-_]?found|error(?:s)?(?:/404)?|"
    r"err(?:or)?404|missing|gone)(\.[a-z]{2,5})?/?$", re.I)
_ERROR_QUERY = re.compile(r"(^|&)(error|status|code|err)=(404|notfound|not_found)(&|$)", re.I)
_ROOTISH = re.compile(r"^/?(index\.(html?|php|aspx?)|home|default\.aspx?|"
                      r"(en|de|fr|es|it|ja|zh|pt|ru|ko|nl|pl|sv|tr)([-_][a-z]{2,4})?)?/?$", re.I)
_CHALLENGE_TITLE = re.compile(
    r"(just a moment|attention required|checking (?:your|if the site connection|the site)|"
    r"security check|verify(?:ing)? (?:you are|that you are) (?:a )?human|are you a (?:human|robot)|"
    r"access denied|request unsuccessful|pardon our interruption|bot (?:check|verification)|"
    r"captcha|ddos[- ]guard|human verification|please wait while we verify)", re.I)
_CHALLENGE_BODY = re.compile(
    r"(cf-browser-verification|challenge-platform|cf_chl_|/cdn-cgi/challenge|_incapsula_resource|"
    r"px-captcha|perimeterx|g-recaptcha|h-captcha|hcaptcha\.com|datadome|"
    r"to discuss automated access to amazon data|unusual traffic from your computer|"
    r"enable javascript and cookies to continue|reference\s*#\d+\.[0-9a-f]+)", re.I)
_BLOCK_STATUS = {401: "authentication required (401)", 403: "forbidden (403): the site refuses automated clients",
                 407: "proxy authentication required (407)", 451: "unavailable for legal reasons (451)",
                 999: "request denied (999): the site refuses automated clients",
                 429: "rate limited (429) beyond the run's retries"}
_ERRORS = {
    "dns": (Outcome.HARD, "the host name does not exist (DNS)"),
    "tls": (Outcome.HARD, "TLS failure"),
    "refused": (Outcome.HARD, "connection refused"),
    "invalid_url": (Outcome.HARD, "not a valid http(s) URL"),
    "bad_redirect": (Outcome.HARD, "redirects to a non-http(s) target"),
    "redirect_loop": (Outcome.HARD, "redirect loop"),
    "too_many_redirects": (Outcome.HARD, "too many redirects"),
    "timeout": (Outcome.TRANSIENT, "timed out"),
    "connect_timeout": (Outcome.TRANSIENT, "connection timed out"),
    "reset": (Outcome.TRANSIENT, "connection reset"),
    "network": (Outcome.TRANSIENT, "network unreachable"),
    "dns_temporary": (Outcome.TRANSIENT, "temporary DNS failure"),
    "protocol": (Outcome.TRANSIENT, "HTTP protocol error"),
    "deferred": (Outcome.TRANSIENT, "the host asked us to come back later (Retry-After)"),
    # a public page bouncing us into a private network: reported, never evidence of death
    "unsafe_redirect": (Outcome.TRANSIENT, "redirect into a private network refused"),
}


def _path(url: str) -> str:
    return urlsplit(url).path or "/"


def _is_root(url: str) -> bool:
    return bool(_ROOTISH.match(_path(url)))


def is_soft404_path(url: str) -> bool:
    """Does ``url`` look like an error page (``/404``, ``/not-found``, ``?error=404``)?"""
    parts = urlsplit(url)
    return bool(_ERROR_PATH.search(parts.path or "/") or _ERROR_QUERY.search(parts.query))


def _suggested(ex: Exchange) -> str | None:
    """The target of the leading run of permanent redirects, when there is one."""
    target: str | None = None
    for i, (_, status) in enumerate(ex.redirects):
        if status not in _PERMANENT:
            break
        target = ex.redirects[i + 1][0] if i + 1 < len(ex.redirects) else ex.final_url
    return target


def carry_fragment(verdict: Verdict, written: str) -> Verdict:
    """The verdict on the link ``written`` (as the document writes it; the request went without
    its fragment): a permanent redirect's target without a fragment inherits the link's
    (RFC 9110 §10.2.2), so '…/edit#gid=0' moved to '…/sheet' is suggested as '…/sheet#gid=0'."""
    fragment = written.partition("#")[2]
    target = verdict.suggested_url
    if not fragment or target is None or "#" in target:
        return verdict
    return dataclasses.replace(verdict, suggested_url=f"{target}#{fragment}")


def _challenge(ex: Exchange, title: str, words: int) -> bool:
    if ex.header("cf-mitigated").lower() == "challenge":
        return True
    if _CHALLENGE_TITLE.search(title) and words < THIN_PAGE_WORDS:
        return True
    return bool(words < THIN_PAGE_WORDS and _CHALLENGE_BODY.search(ex.html[:100_000]))


def _soft404_without_probe(ex: Exchange, title: str, text: str, words: int) -> str | None:
    if ex.redirects and not _is_root(ex.url):
        if _is_root(ex.final_url):
            return "soft 404: redirected to the site's home page"
        if is_soft404_path(ex.final_url):
            return "soft 404: redirected to an error page"
    if not ex.html:
        return None
    if title and _NOT_FOUND_TITLE.search(title) and words < THIN_PAGE_WORDS:
        return f"soft 404: the page says {title[:80]!r}"
    head = text[:400]
    if not title and words < 150 and _NOT_FOUND_TEXT.search(head):
        return "soft 404: the page says it was not found"
    return None


def needs_probe(ex: Exchange) -> bool:
    """Is this a 200 HTML page below the site root that a sibling probe could unmask?"""
    return (ex.error_class is None and ex.status is not None and 200 <= ex.status < 300
            and ex.method == "GET" and bool(ex.html) and not _is_root(ex.url)
            and "html" in (ex.content_type or "text/html").lower())


def probe_answered(status: int | None, error_class: str | None) -> bool:
    """Did a sibling probe get an answer that says something about its folder? Any HTTP
    status (a 404 shows the folder is no catch-all; a 2xx was compared with the page), but
    not a network failure (no status, or an ``error_class``) nor a "not now" status that
    is transient for a page too (408, 429, 5xx, 1xx): those show nothing of what the folder
    answers, so the page is probed again next time."""
    if error_class is not None or status is None:
        return False
    return not (status < 200 or status in (408, 429) or 500 <= status <= 599)


def probe_key(url: str) -> tuple[str, str, str]:
    """``(scheme, host, parent path)``: one probe per key per run."""
    parts = urlsplit(url)
    path = parts.path or "/"
    parent = path[: path.rstrip("/").rfind("/") + 1] or "/"
    return parts.scheme.lower(), parts.netloc.lower(), parent


def probe_url(url: str, token: str) -> str:
    """A sibling of ``url`` that should not exist: same folder, same extension, random name."""
    scheme, netloc, parent = probe_key(url)
    last = _path(url).rstrip("/").rsplit("/", 1)[-1]
    ext = ""
    if "." in last:
        ext = "." + last.rsplit(".", 1)[1]
        if not re.fullmatch(r"\.[A-Za-z0-9]{1,5}", ext):
            ext = ""
    return urlunsplit((scheme, netloc, f"{parent}tracker-probe-{token}{ext}", "", ""))


def _same_as_sibling(ex: Exchange, text: str, words: int, sibling: Exchange | None) -> bool:
    if sibling is None or sibling.error_class is not None or sibling.status is None:
        return False
    if not 200 <= sibling.status < 300:
        return False
    if words < SHELL_PAGE_WORDS:
        return False  # a JavaScript shell looks the same on every path; we cannot tell
    if sibling.redirects and ex.redirects and sibling.final_url == ex.final_url:
        return True
    same = similarity(text, visible_text(sibling.html))
    if extract_title(ex.html).casefold() != extract_title(sibling.html).casefold():
        return same >= SAME_PAGE_SIMILARITY  # a different title: only a near-copy counts
    return same >= SIBLING_SIMILARITY


def classify(ex: Exchange, sibling: Exchange | None = None) -> Verdict:
    """The verdict on one exchange; ``sibling`` is the probe answer for its folder, if any."""
    if ex.error_class is not None:
        outcome, reason = _ERRORS.get(ex.error_class, (Outcome.TRANSIENT, ex.error_class))
        detail = f": {ex.error}" if ex.error and ex.error_class in ("tls", "bad_redirect", "unsafe_redirect") else ""
        return Verdict(outcome, reason + detail)
    status = ex.status or 0
    title = extract_title(ex.html) if ex.html else ""
    text = visible_text(ex.html) if ex.html else ""
    words = word_count(text, THIN_PAGE_WORDS)  # only ever compared with thresholds ≤ this
    if ex.html and _challenge(ex, title, words):
        return Verdict(Outcome.BLOCKED, f"challenge page ({status}): the site refuses automated clients")
    if status in _BLOCK_STATUS:
        return Verdict(Outcome.BLOCKED, _BLOCK_STATUS[status])
    if status in (404, 410):
        return Verdict(Outcome.HARD, f"{'gone' if status == 410 else 'not found'} ({status})")
    if status == 408 or 500 <= status <= 599 or status < 200:
        return Verdict(Outcome.TRANSIENT, f"server error ({status})" if status >= 500 else f"HTTP {status}")
    if 400 <= status <= 499:
        return Verdict(Outcome.HARD, f"client error ({status})")
    if 300 <= status <= 399 and status != 304 and status not in (300,):
        return Verdict(Outcome.HARD, f"redirect ({status}) without a usable Location")
    soft = _soft404_without_probe(ex, title, text, words)
    if soft is None and _same_as_sibling(ex, text, words, sibling):
        soft = "soft 404: the same page answers a made-up URL next to it"
    if soft is not None:
        return Verdict(Outcome.HARD, soft, soft404=True)
    suggested = _suggested(ex)
    if suggested is not None and suggested.rstrip("/") != ex.url.rstrip("/"):
        return Verdict(Outcome.OK, f"moved permanently ({ex.redirects[0][1]})", suggested_url=suggested)
    if status == 304:
        return Verdict(Outcome.OK, "not modified (304)")
    return Verdict(Outcome.OK, f"ok ({status})" + (" after a temporary redirect" if ex.redirects else ""))
