"""What the web tests read off the queue page as a browser would: the page, and a card's form."""

from __future__ import annotations

import re
from typing import Any

HOST = {"Host": "127.0.0.1"}


def queue_page(client: Any) -> str:
    return str(client.get("/", headers=HOST).get_data(as_text=True))


def decision_form(page: str, cid: int) -> dict[str, str]:
    """The hidden fields of candidate ``cid``'s decision form, as a browser would send them."""
    form = re.search(rf'<form method="post" action="/candidates/{cid}/decide"[^>]*>(.*?)</form>', page, re.S)
    assert form is not None, page
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(1)))
