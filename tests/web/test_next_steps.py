"""A refusal says its next step in the words of the shell that shows it (found by a review:
the queue page flashed "… to change it, first `tracker candidates undo 12`" to a maintainer
clicking buttons, whose next step is the Undo button). The services raise a message any
shell can show plus a ``Hint``; the command line words it as a command, the page as its
button, field or key."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLI
from tests.helpers import table_counts
from tracker.cli.common import NEXT_STEPS as CLI_STEPS
from tracker.cli.common import error_text as cli_text
from tracker.config import Settings
from tracker.db.session import Database
from tracker.errors import NEXT_STEPS, ConflictError, Hint
from tracker.services.import_ import import_document
from tracker.services.review import decide, queue
from tracker.web import create_app
from tracker.web.app import NEXT_STEPS as WEB_STEPS
from tracker.web.app import error_text as web_text
from tracker.services.jobs import NEXT_STEPS as JOB_STEPS
from tracker.services.jobs import job_error_text as job_text

from tests.web.pages import HOST, decision_form, queue_page


def _command_line(text: str) -> list[str]:
    """What in ``text`` belongs to the command line: a `tracker …` command or an --option."""
    return re.findall(r"`tracker [^`]*`|--[a-z]+", text)




def _errors_in(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<p class="msg error">([^<]*)</p>', page)]


def _errors(answer: Any) -> list[str]:
    assert answer.status_code == 200
    return _errors_in(answer.get_data(as_text=True))


def _decide(client: Any, cid: int, fields: dict[str, str], **extra: str) -> list[str]:
    return _errors(client.post(f"/candidates/{cid}/decide", data={**fields, **extra}, headers=HOST,
                               follow_redirects=True))


def _example(action: str) -> Hint:
    return Hint(action, {name: 12 if name == "candidate" else "move" for name in NEXT_STEPS[action]})


def test_each_shell_words_every_next_step_and_the_page_never_as_a_command() -> None:
    assert set(CLI_STEPS) == set(WEB_STEPS) == set(JOB_STEPS) == set(NEXT_STEPS)
    for action in NEXT_STEPS:
        exc = ConflictError("candidate 12 was already accepted", hint=_example(action))
        assert str(exc) == "candidate 12 was already accepted"  # the message itself names no shell
        shown = web_text(exc)
        assert shown.startswith("candidate 12 was already accepted; ") and not _command_line(shown), shown
        assert cli_text(exc).startswith("candidate 12 was already accepted; ")
        assert job_text(exc).startswith("candidate 12 was already accepted; ")
    assert cli_text(ConflictError("plain")) == web_text(ConflictError("plain")) == job_text(ConflictError("plain")) \
        == "plain"
    with pytest.raises(ValueError):
        Hint("undo")  # a next step without what it needs would break the wording


def test_a_decided_candidate_points_the_page_to_its_undo_button(db: Database, queued: Settings) -> None:
    client = create_app(db, queued, by="ann").test_client()
    cid = int(queue(db, queued)[1][0]["id"])
    seen = decision_form(queue_page(client), cid)
    assert _decide(client, cid, seen, action="accept") == []
    before = table_counts(db)
    for fields in (seen, {"csrf": seen["csrf"]}):  # the stale card again, and a script's bare post
        [refused] = _decide(client, cid, fields, action="reject")
        assert f"candidate {cid}) was already accepted by ann" in refused or \
            refused.startswith(f"candidate {cid} was already accepted by ann"), refused
        assert "Undo" in refused and "Decided recently" in refused, refused
        assert not _command_line(refused) and "tracker " not in refused, refused
    assert table_counts(db) == before
    # the step it names works: the Undo under "Decided recently" takes the accept back
    undo = re.search(rf'<form method="post" action="/candidates/{cid}/undo">(.*?)</form>', queue_page(client), re.S)
    assert undo is not None
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', undo.group(1)))
    assert _errors(client.post(f"/candidates/{cid}/undo", data=fields, headers=HOST, follow_redirects=True)) == []
    assert _decide(client, cid, decision_form(queue_page(client), cid), action="reject") == []


def test_a_move_without_a_known_chapter_points_the_page_to_the_chapter_field(db: Database,
                                                                            queued: Settings) -> None:
    client = create_app(db, queued, by="ann").test_client()
    cid = int(queue(db, queued)[1][0]["id"])
    fields = decision_form(queue_page(client), cid)
    before = table_counts(db)
    [empty] = _decide(client, cid, fields, action="move", topic="")
    assert "needs a topic" in empty and "“Move to”" in empty and "then move it" in empty, empty
    [unknown] = _decide(client, cid, fields, action="move", topic="zzzz-qqqq")
    assert "no topic with slug 'zzzz-qqqq'" in unknown and "“Move to” list" in unknown, unknown
    for refused in (empty, unknown):
        assert not _command_line(refused) and "tracker " not in refused, refused
    assert table_counts(db) == before


def test_a_section_with_chapters_is_refused_on_the_page_naming_them(db: Database, queued: Settings,
                                                                    tmp_path: Path) -> None:
    """The maintainer's trial: a section typed in “Move to” was taken, and `export --apply`
    later could not place what was accepted there. The page refuses it in its own words and
    no longer offers a section with chapters as a place."""
    doc = tmp_path / "doc"
    (doc / "guide.md").write_text((doc / "guide.md").read_text(encoding="utf-8")
                                  + "\n## Models\n\nModels.\n\n### Encoders\n\nBERT.\n\n### Decoders\n\nGPT.\n",
                                  encoding="utf-8")
    import_document(db, doc, queued)
    client = create_app(db, queued, by="ann").test_client()
    cid = int(queue(db, queued)[1][0]["id"])
    page = queue_page(client)
    offered = re.findall(r'<option value="([^"]+)">', page.split('<datalist id="chapters">', 1)[1].split("</datalist>")[0])
    assert "models" not in offered and {"encoders", "decoders", "tokenization"} <= set(offered), offered
    fields = decision_form(page, cid)
    before = table_counts(db)
    for action in ("move", "accept"):
        [refused] = _decide(client, cid, fields, action=action, topic="models")
        assert refused.endswith(": topic 'models' is a section, not a chapter; its chapters are encoders, "
                                f"decoders; choose a chapter in “Move to” (key m), then {action} it"), refused
        assert not _command_line(refused) and "tracker " not in refused, refused
    assert table_counts(db) == before
    assert _decide(client, cid, fields, action="move", topic="encoders") == []


def test_an_unknown_source_points_the_page_to_a_reload(db: Database, queued: Settings) -> None:
    client = create_app(db, queued).test_client()
    page = client.get("/sources", headers=HOST).get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None
    [refused] = _errors(client.post("/sources/no-such-feed/enable", data={"csrf": csrf.group(1)}, headers=HOST,
                                    follow_redirects=True))
    assert refused.startswith("no source named 'no-such-feed'") and "reload the page" in refused, refused
    assert not _command_line(refused), refused


def test_the_sources_page_says_its_own_button_for_a_disabled_or_parked_source(db: Database,
                                                                            queued: Settings) -> None:
    """The listing's reason ("…; run `tracker sources enable X` to resume") was printed right
    beside the page's own Enable/Resume button."""
    from sqlalchemy import select

    from tracker.db.models_feeds import FeedSource
    from tracker.services.sources import list_sources, set_enabled

    name = list_sources(db, queued)[0]["name"]
    client = create_app(db, queued).test_client()

    def sources_page() -> str:
        page = html.unescape(client.get("/sources", headers=HOST).get_data(as_text=True))
        return page.split("<tbody>")[1]
    set_enabled(db, queued, name, False)
    assert "tracker sources enable" in list_sources(db, queued)[0]["reason"]  # the command line's words
    disabled = sources_page()
    assert "not polled; Enable polls it at the next crawl" in disabled and not _command_line(disabled)
    set_enabled(db, queued, name, True)
    with db.transaction() as s:
        parked = s.scalars(select(FeedSource).where(FeedSource.name == name)).one()
        parked.parked_at, parked.consecutive_errors, parked.last_error = queued.now(), 3, "HTTP 503"
    assert "tracker sources enable" in list_sources(db, queued)[0]["reason"]
    parked_page = sources_page()
    assert "parked after 3 consecutive errors; Resume polls it at the next crawl" in parked_page
    assert not _command_line(parked_page), _command_line(parked_page)


def test_a_reversed_range_on_the_document_page_is_compared_in_order(db: Database, queued: Settings,
                                                                    tmp_path: Path) -> None:
    """The page said "… (from) is newer than version … (to); swap them" where it can swap them
    itself (a browser walk-through): it compares the two versions in order and says so."""
    doc = tmp_path / "doc"
    (doc / "guide.md").write_text((doc / "guide.md").read_text(encoding="utf-8") + "\n## Optimizers\n\nAdam.\n",
                                  encoding="utf-8")
    import_document(db, doc, queued)
    client = create_app(db, queued).test_client()
    labels = re.findall(r'<option value="([^"]+)"', client.get("/document", headers=HOST).get_data(as_text=True))
    first, last = labels[0], labels[-1]
    assert first != last
    page = html.unescape(client.get(f"/document?from={last}&to={first}", headers=HOST).get_data(as_text=True))
    assert _errors_in(page) == []
    assert f"From {first} to {last}: the two versions were picked the other way round" in page
    in_order = html.unescape(client.get(f"/document?from={first}&to={last}", headers=HOST).get_data(as_text=True))
    assert f"<h3>{first} → {last}</h3>" in page

    def comparison(text: str) -> str:
        return text.split("<h3>", 1)[1].split("</main>")[0]
    assert comparison(page) == comparison(in_order)  # the same comparison as picked in order


def test_the_command_line_still_names_the_command(db: Database, queued: Settings, run: CLI) -> None:
    cid = int(queue(db, queued)[1][0]["id"])
    decide(db, queued, cid, "accept", by="ann")
    before = table_counts(db)
    again = run("candidates", "reject", str(cid))
    assert again.exit_code == 1 and again.stdout == ""
    [line] = again.stderr.splitlines()
    assert line.startswith(f"Error: candidate {cid} was already accepted by ann on ") and \
        line.endswith(f"; to change it, first `tracker candidates undo {cid}`"), line
    other = int(queue(db, queued)[1][0]["id"])
    unknown = run("candidates", "move", str(other), "--topic", "zzzz-qqqq")
    assert unknown.exit_code == 1
    assert unknown.stderr.splitlines() == ["Error: no topic with slug 'zzzz-qqqq'; see `tracker topics`"]
    assert table_counts(db) == before


def test_several_documents_are_named_by_the_way_each_command_chooses_one(run: CLI, tmp_path: Path) -> None:
    """Found by a review: the job record of `tracker run propose` lost the next step when it
    became a ``Hint`` (``str(exc)``), and `tracker weekly`, which takes no --document, was told
    to "choose one with --document" (click then refused the option)."""
    doc = tmp_path / "guide.md"
    doc.write_text("# Models\n\n## Tokenizers\n\nWords.\n", encoding="utf-8")
    for name in ("one", "two"):
        assert run("import", str(doc), "--document", name).exit_code == 0
    takes_option = run("propose")
    assert takes_option.exit_code == 1
    assert takes_option.stderr.splitlines() == ["Error: no document named 'handbook'; known: one, two; "
                                                "choose one with --document"], takes_option.stderr
    assert run("propose", "--document", "two").exit_code == 0  # the step it names works
    by_configuration = "; choose one with [document] name in the configuration (TRACKER_DOCUMENT__NAME)"
    as_job = run("run", "propose")
    assert as_job.exit_code == 1
    assert as_job.stderr.splitlines()[-1] == ("Error: task propose failed: no document named 'handbook'; "
                                              f"known: one, two{by_configuration}"), as_job.stderr
    assert by_configuration in run("jobs", "--format", "json").stdout  # the job's record says it too
    weekly = run("weekly", "--quiet", "--out", str(tmp_path / "out"))
    assert weekly.exit_code == 1
    assert weekly.stderr.splitlines()[-1].endswith(by_configuration) and "--document" not in weekly.stderr, \
        weekly.stderr
    named = run("run", "propose", env={"TRACKER_DOCUMENT__NAME": "two"})  # the step it names works
    assert named.exit_code == 0, named.stderr
