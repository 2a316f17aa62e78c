"""Each item's lifecycle as one Prefect flow run, named by the item's reference.

The engine's database is the truth: every time the run executes (first start, each
resume, a restart after a crash) it reads the item afresh, runs the automated work for
events it has not handled yet (each a cached task, so none happens twice), says in one
artifact which step and office it waits for and what happened so far, and suspends. A
suspended run holds no process and no thread. The engine's outbox (`workflows.dispatch`)
resumes it after each action, and a lane (`workflows.lane`) executes it again.

Plugin code is bounded: a party's `on_event`, or the document render, that does not return
within MANZOORI_HOOK_TIMEOUT seconds (30) is logged as a warning and left behind in a
thread of its own; the run goes on, and so do the other items.

An operator may also type a decision into the Prefect UI's resume form; it carries the
officer's username and a one-time code, and goes through `engine.core.items.act` like any
other. A refused decision is logged and the run waits again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.context import FlowRunContext, TaskRunContext
from prefect.flow_runs import asuspend_flow_run
from prefect.input import RunInput
from prefect.states import Cancelled, Completed, Failed, State
from pydantic import Field
from sqlalchemy import select

from engine.contract import EventNotice, ItemKind
from engine.core.definitions import of_item
from engine.core.documents import render_document as render
from engine.core.flows import current_flow
from engine.core.items import act
from engine.core.registry import registry
from engine.core.routing import validate
from engine.errors import ManzooriError, NotAllowed
from engine.store import AuditEvent, Item, home, session_scope
from workflows.itemview import HistoryLine, ItemView, Waiting, report_status, route_markdown
from workflows.lane import Overdue, hook_timeout, within

FLOW_NAME = "item-lifecycle"
DEPLOYMENT_NAME = "manzoori"

#: How an item that ended is shown as a Prefect state.
ENDINGS = {"withdrawn": "cancelled", "rejected": "failed"}
#: The actions that submit a version, whose rules the run checks again.
SUBMISSIONS = ("submit", "revise")


class OfficerDecision(RunInput):
    """A decision typed into the Prefect UI. Leave it empty to just wake the run."""

    officer: str = Field("", description="Your Manzoori username, e.g. punjab.wpc-convener")
    code: str = Field("", description="A one-time code from `manzoori officers code USERNAME`")
    action: str = Field("", description="clear, return, approve, reject, sign, feedback or comment")
    comment: str = Field("", description="Your comment; a return, rejection or withdrawal needs one")


def read_item(item_id: int) -> ItemView:
    parties = registry()
    with session_scope() as session:
        item = session.get(Item, item_id)
        if item is None:
            raise LookupError(f"no item with id {item_id} in the engine's database")
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.item_id == item_id).order_by(AuditEvent.seq)
        ).all()
        history = [
            HistoryLine(e.seq, e.at, e.officer.username if e.officer else "system", e.action,
                        e.step or "", e.party or "", e.comment or "")
            for e in events
        ]
        waiting = [
            Waiting(s.name, s.party, s.office, parties.party(s.party).office(s.office).title_en,
                    s.due_at, len(s.decisions), s.quorum)
            for s in item.steps if s.status == "open"
        ]
        submitted = [v.number for v in item.versions if v.submitted_at is not None]
        ended = item.state in current_flow(ItemKind(item.kind)).end_states
        view = ItemView(item.id, item.reference, item.kind, item.title, item.state,
                        list(item.party_codes), ended, history, waiting,
                        submitted[-1] if submitted else None,
                        route_markdown(session, parties, item))
    return view


def _once(name: str) -> Callable[[TaskRunContext, dict[str, Any]], str]:
    """Cache a task by its item and event: re-executions of the run find it done."""
    def key(_context: TaskRunContext, parameters: dict[str, Any]) -> str:
        return f"{name}-{parameters['item_id']}-{parameters['seq']}"
    return key


@task(name="notify-parties", task_run_name="notify {reference} #{seq}",
      cache_key_fn=_once("notify"), persist_result=True)
def notify_parties(item_id: int, reference: str, seq: int) -> list[str]:
    """Tell every party's plugin that listens (`on_event`) of one event, once, in the history's order.
    Each party's hook has MANZOORI_HOOK_TIMEOUT seconds; one that hangs is logged and left
    behind. Returns the parties whose hook returned."""
    with session_scope() as session:
        item = session.get_one(Item, item_id)
        event = session.scalars(select(AuditEvent).where(AuditEvent.item_id == item_id,
                                                          AuditEvent.seq == seq)).one()
        notice = EventNotice(
            reference=item.reference, kind=ItemKind(item.kind), action=event.action,
            officer=event.officer.username if event.officer else "system", state=item.state,
            parties=tuple(item.party_codes), comment=event.comment, seq=seq,
        )
    parties, told = registry(), []
    for code in parties.listening(notice.parties):
        try:
            within(hook_timeout(), f"on_event of {code} for {reference} #{seq}", parties.notify,
                   [code], notice)
            told.append(code)
        except Overdue as late:
            get_run_logger().warning("%s; carrying on without it", late)
    return told


@task(name="check-rules", task_run_name="rules {reference} v{version}",
      cache_key_fn=lambda _c, p: f"rules-{p['item_id']}-{p['version']}", persist_result=True)
def check_rules(item_id: int, reference: str, version: int) -> list[str]:
    """Run every party's rules on a submitted version again and log what they find."""
    logger = get_run_logger()
    with session_scope() as session:
        item = session.get_one(Item, item_id)
        data = next(v.form for v in item.versions if v.number == version)
        try:
            validate(registry(), ItemKind(item.kind), item.party_codes, data,
                     of_item(registry(), item))
            findings: list[str] = []
        except ManzooriError as error:
            findings = [f"{where}: {message}" for where, message in getattr(error, "problems", [])]
            findings = findings or [error.message]
    if findings:
        logger.warning("%s version %s no longer passes the rules: %s", reference, version,
                       "; ".join(findings))
    else:
        logger.info("%s version %s passes every party's rules", reference, version)
    return findings


@task(name="render-document", task_run_name="document {reference} #{seq}",
      cache_key_fn=_once("document"), persist_result=True)
def render_document(item_id: int, reference: str, seq: int) -> str:
    """Write the item's document (letterheads, content, signatures) under MANZOORI_HOME;
    a render that does not return within MANZOORI_HOOK_TIMEOUT seconds is logged, and the
    run ends without it."""
    try:
        html = within(hook_timeout(), f"the document of {reference}", _render, item_id)
    except Overdue as late:
        get_run_logger().warning("%s; the run ends without it", late)
        return ""
    path = home() / "documents" / f"{reference}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return str(path)


def _render(item_id: int) -> str:
    with session_scope() as session:
        return render(session.get_one(Item, item_id), registry())


def apply_decision(view: ItemView, decision: OfficerDecision, run_id: str, key: str) -> str:
    """Put a decision from the Prefect UI through the engine; raises ManzooriError if refused."""
    if decision.action.strip() == "sign":
        # Signing needs the key's passphrase, and Prefect would keep whatever is typed here.
        raise NotAllowed("sign cannot be given in the Prefect UI, which would store your key's "
                         "passphrase: sign in the web app (the item's page) or with "
                         f"`manzoori act {view.reference} sign --as {decision.officer.strip() or 'YOU'}`")
    with session_scope() as session:
        outcome = act(
            session, registry(), reference=view.reference, action=decision.action.strip(),
            officer=decision.officer.strip(), comment=decision.comment.strip() or None,
            code=decision.code, own_key=f"prefect:{run_id}:{key}",
        )
    return outcome.message


def ending(view: ItemView) -> State:
    last = view.history[-1]
    message = f"{view.reference} {view.state}"
    if last.comment:
        message += f": {last.comment}"
    if ENDINGS.get(view.state) == "cancelled":
        return Cancelled(message=message)
    if ENDINGS.get(view.state) == "failed":
        return Failed(message=message)
    return Completed(message=message)


@flow(name=FLOW_NAME, flow_run_name="{reference}", persist_result=True)
async def item_lifecycle(item_id: int, reference: str) -> State:
    """Carry one item from draft to its end; wait, suspended, while people decide."""
    logger = get_run_logger()
    context = FlowRunContext.get()
    run_id = str(context.flow_run.id) if context and context.flow_run else "local"
    attempt, seen = 0, -1
    # Events up to the last one an earlier execution waited after were handled then; the
    # cached tasks would say so too, but asking costs a call to the API per event.
    handled = handled_before(context)
    while True:
        view = read_item(item_id)
        if view.last_seq != seen:
            attempt, seen = 0, view.last_seq
        new = [line for line in view.history if line.seq > handled]
        # Only parties whose plugin implements `on_event` are told, each event once: an
        # item whose parties listen to nothing makes no task run for its events.
        if registry().listening(view.parties):
            for line in new:
                notify_parties(item_id, view.reference, line.seq)
        # Only tasks with work to do become task runs: the rules after a submission.
        if view.submitted_version is not None and any(line.action in SUBMISSIONS for line in new):
            check_rules(item_id, view.reference, view.submitted_version)
        handled = max(handled, view.last_seq)
        await report_status(view)
        if view.ended:
            if view.submitted_version is not None:
                render_document(item_id, view.reference, view.last_seq)
            logger.info("%s reached its end: %s", view.reference, view.state)
            return ending(view)

        key = f"after-{view.last_seq}" + (f"-{attempt}" if attempt else "")
        decision = await asuspend_flow_run(wait_for_input=OfficerDecision, key=key)
        attempt += 1
        if decision is None or not decision.officer.strip():
            continue  # woken by the engine (or an empty form): read the item again
        try:
            message = apply_decision(view, decision, run_id, key)
            logger.info("decision from the Prefect UI accepted: %s", message)
        except ManzooriError as error:
            logger.error("decision from the Prefect UI refused (%s %s as %s): %s",
                         decision.action, view.reference, decision.officer, error.message)


def handled_before(context: FlowRunContext | None) -> int:
    """The last event an earlier execution of this run waited after (0 if none)."""
    if context is None or context.flow_run is None:
        return 0
    keys = context.flow_run.empirical_policy.pause_keys or set()
    return max((pause_key_seq(key) or 0 for key in keys), default=0)


def pause_key_seq(pause_key: str | None) -> int | None:
    """The event a suspended run waits after, from its pause key (`after-12` or `after-12-1`)."""
    if not pause_key or not pause_key.startswith("after-"):
        return None
    try:
        return int(pause_key.split("-")[1])
    except (IndexError, ValueError):
        return None

