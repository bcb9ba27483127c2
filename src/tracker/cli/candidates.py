"""Commands of the candidates area: ``propose``, ``queue``, ``review``,
``candidates accept|reject|defer|undo``, ``eval topics``, ``eval queue``.

Thin: each command calls one service. ``review`` is the one dialogue: it shows
one candidate at a time and calls ``review.decide`` per answer, so every
decision is its own transaction and Ctrl-C (or end of input) at a prompt loses
nothing already decided and writes nothing half-way.
Does not own any use case: each command calls one service and renders. Services
are imported inside the commands: the scoring ones load scikit-learn, and
``candidates accept`` should not pay for it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from tracker.candidates.render import candidate_card, queue_markdown
from tracker.cli.common import Runtime, document_option, error_text, info, pass_runtime, to_json
from tracker.errors import TrackerError
from tracker.human import plural

by_option = click.option("--by", "by", metavar="NAME", default=None,
                         help="Who decides (default: $USER).")

# The review loop opens links through this hook; tests replace it so no browser ever starts.
open_link: Callable[[str], Any] = click.launch


@click.command("propose")
@document_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@pass_runtime
def propose_cmd(rt: Runtime, document: str | None, fmt: str) -> None:
    """Score new feed items against the document's chapters and queue the fitting ones.

    Items already in the document, duplicates and items already decided are
    never queued again; off-topic items are kept but not queued.

    \b
    Example:
      tracker crawl && tracker propose --format json
    """
    from tracker.services.propose import propose

    result = propose(rt.db, rt.settings, document=document)
    info(f"{plural(result.items, 'new item')}: {result.queued} queued for {result.week}, "
         f"{result.overflow} held back, {result.off_topic} off-topic (below {result.threshold:.4f}), "
         f"{result.in_document} already in the document, {plural(result.duplicates, 'duplicate')}; "
         f"{result.rescored} re-scored; the week's queue holds {result.week_queue}, "
         f"{result.held_back} held back beyond the budget")
    if fmt == "json":
        click.echo(to_json(result.as_dict()))


@click.command("queue")
@click.option("--week", metavar="YYYY-Www", help="ISO week (default: the current one, see TRACKER_NOW).")
@click.option("--topic", metavar="SLUG", help="Only this chapter (a section includes its chapters).")
@click.option("--all", "all_", is_flag=True, help="Also the overflow: on-topic candidates held back by the budget.")
@document_option
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True,
              help="Output format.")
@pass_runtime
def queue_cmd(rt: Runtime, week: str | None, topic: str | None, all_: bool, document: str | None,
              fmt: str) -> None:
    """Show the week's candidates by section and chapter, best first, within the weekly budget
    (``[candidates] weekly_budget``, ``per_topic_budget``); ``--all`` adds the overflow.

    \b
    Examples:
      tracker queue
      tracker queue --week 2026-W48 --topic tokenization --format json
      tracker queue --all --format json
    """
    from tracker.services import review as review_service

    label, rows = review_service.queue(rt.db, rt.settings, week=week, topic=topic, document=document,
                                       all_=all_)
    if fmt == "json":
        click.echo(to_json(rows))
        return
    for line in queue_markdown(rows, label, topic):
        click.echo(line)


#: the review prompt's answers: one key or the whole word, nothing else (so "absolutely not"
#: or a chapter name typed at the wrong prompt is asked again, never read as "a"ccept).
#: ``u``/``undo`` goes here when ``review.undo`` exists, with a branch in ``_ask``.
_KEYS = {"a": "accept", "r": "reject", "d": "defer", "m": "move", "o": "open", "s": "skip", "u": "undo",
         "q": "quit"}
_PROMPT = "[a]ccept [r]eject [d]efer [m]ove [o]pen [s]kip [u]ndo the last decision [q]uit"
_EMPTY_HINT = "no answer: type a key and Enter (a, r, d, m, o, s to skip, u, q to quit)"


def review_answer(text: str) -> str | None:
    """The action an answer names (``"a"`` or ``"accept"``, any case), else ``None``."""
    word = text.strip().lower()
    if word in _KEYS:
        return _KEYS[word]
    return word if word in _KEYS.values() else None


def _move_to(rt: Runtime, row: dict[str, Any], by: str | None) -> bool:
    """Ask for the chapter until a move succeeds (``True``) or the answer is empty (``False``)."""
    from tracker.services import review as review_service

    while True:
        topic = click.prompt("move to topic (slug; empty to go back)", default="", show_default=False,
                             err=True).strip()
        if not topic:
            return False
        try:
            done = review_service.decide(rt.db, rt.settings, int(row["id"]), "move", topic=topic, by=by)
        except TrackerError as exc:
            info(f"Error: {error_text(exc)}")
            continue
        info(f"moved to {done.topic}; now accept, reject, defer or skip it")
        return True


def _ask(rt: Runtime, row: dict[str, Any], by: str | None) -> str:
    """Ask about one candidate until it is decided, skipped or the review is quit."""
    from tracker.services import review as review_service

    while True:
        # no default: Enter alone used to mean "skip" without a word, so a stray Enter
        # passed a candidate by; it asks again, naming the keys
        answer = click.prompt(_PROMPT, default="", show_default=False, err=True)
        if not answer.strip():
            info(_EMPTY_HINT)
            continue
        action = review_answer(answer)
        if action is None:
            info(f"please answer with one of the keys or words: {_PROMPT}")
            continue
        if action in ("skip", "quit", "undo"):
            return action
        if action == "open":
            open_link(str(row["url"]))
            continue
        if action == "move":
            _move_to(rt, row, by)
            continue
        note = ""
        if action == "reject":
            note = click.prompt("reason (optional)", default="", show_default=False, err=True)
        try:
            done = review_service.decide(rt.db, rt.settings, int(row["id"]), action, note=note, by=by)
        except TrackerError as exc:
            info(f"Error: {error_text(exc)}")
            continue
        info(f"{done.status}" + (f" for {done.week}" if action == "defer" else ""))
        return action


@click.command("review")
@click.option("--week", metavar="YYYY-Www", help="ISO week (default: the current one).")
@click.option("--topic", metavar="SLUG", help="Only this chapter (a section includes its chapters).")
@document_option
@by_option
@pass_runtime
def review_cmd(rt: Runtime, week: str | None, topic: str | None, document: str | None, by: str | None) -> None:
    """Walk the week's queue: accept, reject (with a reason), defer, move, open, skip or quit.

    Every decision is saved as soon as it is made; quitting or Ctrl-C keeps them.

    \b
    Example:
      tracker review --week 2026-W48 --by alice
    """
    from tracker.services import review as review_service

    label, rows = review_service.queue(rt.db, rt.settings, week=week, topic=topic, document=document)
    if not rows:
        info(f"nothing to review for {label}")
        return
    decided = 0
    done: list[int] = []  # positions decided in this review, newest last (what `u` takes back)
    position = 0
    try:
        while position < len(rows):
            row = rows[position]
            for line in candidate_card(row, position + 1, len(rows)):
                click.echo(line, err=True)
            action = _ask(rt, row, by)
            if action == "quit":
                break
            if action == "undo":
                if not done:
                    info("nothing to undo yet in this review")
                    continue
                back = done[-1]
                try:
                    undone = review_service.undo(rt.db, rt.settings, int(rows[back]["id"]), by=by)
                except TrackerError as exc:
                    info(f"Error: {error_text(exc)}")
                    continue
                done.pop()
                decided -= 1
                info(f"candidate {undone.candidate_id}: {undone.note}; now {undone.status}")
                position = back
                continue
            if action != "skip":
                decided += 1
                done.append(position)
            position += 1
    except click.Abort:  # Ctrl-C, or the input ended before the queue did
        info(f"\nError: review interrupted: {plural(decided, 'decision')} saved, nothing half-written")
        sys.exit(1)
    info(f"{plural(decided, 'decision')} saved; {len(rows) - decided} left in {label}'s queue")


@click.group("candidates")
def candidates_group() -> None:
    """Decide on candidates without the interactive review.

    \b
    Example:
      tracker candidates accept 12 --topic tokenization --note "clear BPE intro"
    """


def _decide_command(action: str, summary: str, with_topic: bool) -> click.Command:
    @click.argument("candidate_id", metavar="ID", type=int)
    @click.option("--note", default="", metavar="TEXT", help="Why (stored with the decision).")
    @by_option
    @click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
                  help="Output format.")
    @pass_runtime
    def command(rt: Runtime, candidate_id: int, note: str, by: str | None, fmt: str,
                topic: str | None = None) -> None:
        from tracker.services import review as review_service

        done = review_service.decide(rt.db, rt.settings, candidate_id, action, topic=topic, note=note, by=by)
        info(f"candidate {done.candidate_id}: {done.status}"
             + (f" in {done.topic}" if action == "accept" else "")
             + (f", moved to {done.topic}" if action == "move" else "")
             + (f" until {done.week}" if action == "defer" else ""))
        if fmt == "json":
            click.echo(to_json(done.as_dict()))

    command.__doc__ = f"{summary}\n\n\b\nExample:\n  tracker candidates {action} 12" + (
        " --topic tokenization" if with_topic else " --note \"too basic\"")
    if with_topic:
        command = click.option("--topic", metavar="SLUG", default=None, required=action == "move",
                               help="Place it in this chapter instead of its best one.")(command)
    return click.command(action)(command)


candidates_group.add_command(_decide_command(
    "accept", "Accept candidate ID: it becomes a resource pending for the next version.", True))
candidates_group.add_command(_decide_command(
    "reject", "Reject candidate ID for good (it never returns).", False))
candidates_group.add_command(_decide_command(
    "defer", "Defer candidate ID to next week's queue.", False))
candidates_group.add_command(_decide_command(
    "move", "Move candidate ID to another chapter; it stays in the queue, undecided.", True))


@candidates_group.command("undo")
@click.argument("candidate_id", metavar="ID", type=int)
@by_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@pass_runtime
def undo_cmd(rt: Runtime, candidate_id: int, by: str | None, fmt: str) -> None:
    """Undo candidate ID's latest decision (accept, reject, defer or move), until a
    document version includes what it accepted.

    \b
    Example:
      tracker candidates undo 12
    """
    from tracker.services import review as review_service

    done = review_service.undo(rt.db, rt.settings, candidate_id, by=by)
    info(f"candidate {done.candidate_id}: {done.note}; now {done.status}")
    if fmt == "json":
        click.echo(to_json(done.as_dict()))


@click.group("eval")
def eval_group() -> None:
    """Measure how well tracker ranks topics.

    \b
    Example:
      tracker eval topics ../shared/fixtures/genai-handbook/2026-02-02_a7c5287
    """


@eval_group.command("topics")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@pass_runtime
def eval_topics_cmd(rt: Runtime, path: Path, fmt: str) -> None:
    """Leave-one-paragraph-out: rank each link's chapter with its paragraph held out,
    next to the arxiv-sanity-style baseline (TF-IDF + linear SVM per topic).

    \b
    Example:
      tracker eval topics ../shared/fixtures/genai-handbook/2026-02-02_a7c5287 --format json
    """
    from tracker.services.evaluate import evaluate_topics

    started = time.monotonic()
    from tracker.services.evaluate import evaluate_topics  # scikit-learn: only when evaluating

    report = evaluate_topics(path, rt.settings)
    info(f"evaluated {report.n} links of {report.paragraphs} paragraphs in {time.monotonic() - started:.1f} s")
    data = report.as_dict()
    if fmt == "json":
        click.echo(to_json(data))
        return
    base = data["baseline"]
    click.echo(f"{report.n} links in {report.paragraphs} paragraphs, {report.topics} topics")
    click.echo(f"{'method':<34} {'acc@1':>6} {'acc@3':>6} {'MRR':>6}")
    click.echo(f"{'topic profiles (tracker)':<34} {data['accuracy_at_1']:>6.3f} {data['accuracy_at_3']:>6.3f} "
               f"{data['mrr']:>6.3f}")
    click.echo(f"{'tf-idf + linear svm per topic':<34} {base['accuracy_at_1']:>6.3f} "
               f"{base['accuracy_at_3']:>6.3f} {base['mrr']:>6.3f}")
    calibrated = data["off_topic_threshold"]
    click.echo(f"calibrated off-topic threshold: {calibrated['calibrated']:.4f} "
               f"(from {calibrated['samples']} held-out links; [candidates] off_topic_threshold overrides it)")


@eval_group.command("queue")
@click.argument("repository", type=click.Path(path_type=Path))
@click.argument("feeds", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@pass_runtime
def eval_queue_cmd(rt: Runtime, repository: Path, feeds: Path, fmt: str) -> None:
    """Replay the document's git history week by week against a folder of dated feeds
    (YYYY-MM-DD_name.xml): import the document as it was, feed that week's items, propose,
    and measure how many links the maintainers added later were in the budgeted queue,
    and in which chapter. Uses a throw-away database (--db is not touched).

    \b
    Example:
      tracker eval queue ../handbook-checkout recorded-feeds/ --format json
    """
    from tracker.services.evaluate import evaluate_queue

    report = evaluate_queue(repository, feeds, rt.settings, progress=info)
    data = report.as_dict()
    if fmt == "json":
        click.echo(to_json(data))
        return
    click.echo(f"{'week':<10} {'version':<10} {'items':>6} {'queued':>7} {'held back':>10}")
    for week in data["weeks"]:
        click.echo(f"{week['week']:<10} {week['version']:<10} {week['items']:>6} {week['queued']:>7} "
                   f"{week['held_back']:>10}")
    click.echo(f"links added later that the stream carried: {data['added_in_stream']}; in the queue: "
               f"{data['in_queue']} (recall within budget {data['recall_within_budget']:.3f}); "
               f"chapter accuracy {data['chapter_accuracy']:.3f}")


def register(group: click.Group) -> None:
    """Add this area's commands to ``group``."""
    for command in (propose_cmd, queue_cmd, review_cmd, candidates_group, eval_group):
        group.add_command(command)
