"""``human.table`` draws a table that needs no wrapping without rich, exactly as rich draws it
(issue 11: rich's import is a tenth of a ``tracker check`` start)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from tracker import human

# printable ASCII, spaces where they hurt most (leading, trailing, doubled), and wider text
_TEXT = st.one_of(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=14),
                  st.text(alphabet=" ab-[]:", max_size=30))


@settings(max_examples=1500, deadline=None)
@given(data=st.data(), ncol=st.integers(1, 4), slack=st.integers(-2, 40))
def test_a_plain_table_is_what_rich_draws(data: st.DataObject, ncol: int, slack: int) -> None:
    columns = data.draw(st.lists(_TEXT, min_size=ncol, max_size=ncol))
    cells = data.draw(st.lists(st.lists(_TEXT, min_size=ncol, max_size=ncol), max_size=5))
    widest = [max(len(row[i]) for row in [columns, *cells]) for i in range(ncol)]
    width = max(1, sum(widest) + 3 * (ncol - 1) + slack)  # around the edge of fitting, and well inside
    plain = human._plain_table(cells, columns, width)
    if slack >= 0 and min(widest) > 0:
        assert plain is not None  # the fast drawing is taken whenever it can be
    if plain is not None:
        assert plain == human._rich_table(cells, columns, width)


@pytest.mark.parametrize("cells", [[["naïve", "1"]], [["wide 漢字", "1"]], [["a\u200bb", "1"]]])
def test_anything_but_printable_ascii_is_left_to_rich(cells: list[list[str]]) -> None:
    assert human._plain_table(cells, ["state", "links"], 80) is None
    assert human.table([{"state": c[0], "links": c[1]} for c in cells], ["state", "links"], 80) == \
        human._rich_table(cells, ["state", "links"], 80)


def test_the_check_summary_table() -> None:
    rows = [{"state": s, "links": n} for s, n in [("alive", 250), ("redirected", 3), ("dead", 0)]]
    assert human.table(rows, ["state", "links"], 80) == (
        "state        links\n"
        "──────────────────\n"
        "alive        250\n"
        "redirected   3\n"
        "dead         0")


def test_counts_name_one_of_a_kind_in_the_singular() -> None:
    """`tracker run check` said "1 hosts"."""
    from tracker.human import counts

    assert counts({"checked": 1, "hosts": 1, "new_versions": 1, "entries": 1, "requests": 2}) == \
        "1 checked, 1 host, 1 new version, 1 entry and 2 requests"
    assert counts({"alive": 1, "status": 1, "hosts": 0}) == "1 alive and 1 status"
