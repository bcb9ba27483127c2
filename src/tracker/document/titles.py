"""A resource title guessed from how the document cites it (pure).

``["Understanding Large Language Models"](…)`` names the post; ``[blog post](…)``
or ``[here](…)`` does not. Checks and feeds later replace guesses with real titles.
"""

from __future__ import annotations

import re

_GENERIC = re.compile(
    r"^(?:(?:this|the|a|an|my|his|her|their|our|official|original|great|nice|good|short|long|"
    r"new|older|recent|interactive|animated|technical|accompanying|related|first|second|third|"
    r"another|other|follow-up|companion|popular|excellent|two|three|some)\s+)*"
    r"(?:blog\s*posts?|posts?|videos?|papers?|articles?|links?|here|this|site|page|"
    r"lectures?|lecture\s+series|talks?|slides|notes?|guides?|tutorials?|courses?|books?|chapters?|"
    r"threads?|reports?|overviews?|writeups?|write-ups?|series|playlists?|channel|repo|repository|"
    r"code|library|docs|documentation|website|source|summary|survey|explainer|demo|paper\s+list)\.?$",
    re.IGNORECASE,
)


def generic_anchor(text: str) -> bool:
    """True when the anchor text names nothing ("video", "this blog post", a bare URL, "")."""
    stripped = text.strip().strip("\"'“”‘’ ").strip()
    return (len(stripped) < 3 or _GENERIC.match(stripped) is not None
            or stripped.lower().startswith(("http://", "https://")))


def title_from_anchor(text: str) -> str:
    """The anchor text when it looks like a title, else ``""``."""
    stripped = text.strip().strip("\"'“”‘’ ").strip()
    if generic_anchor(text):
        return ""
    if len(stripped.split()) == 1 and not text.strip().startswith(("\"", "“")) and not stripped[:1].isupper():
        return ""
    return stripped
