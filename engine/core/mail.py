"""Email notifications: when a step waits for an officer, a message with a one-time link
that opens a page to confirm a decision (`engine.web.mail_pages`).

Off unless `MANZOORI_SMTP_HOST` names a server. Each officer is sent one link per step
they may decide; the link's token is random, kept only as its SHA-256 digest in
`email_links`, works once and expires (`MANZOORI_LINK_HOURS`, 72 by default). Opening it
never acts: the decision is a POST from the page, held to every rule of `engine.core.items`.

Settings, all from the environment: `MANZOORI_SMTP_HOST`, `MANZOORI_SMTP_PORT` (25),
`MANZOORI_SMTP_FROM`, `MANZOORI_SMTP_USER` and `MANZOORI_SMTP_PASSWORD` (optional),
`MANZOORI_SMTP_STARTTLS` (1/true/yes), `MANZOORI_WEB_URL` (the web app's address as
officers reach it, for the links; http://127.0.0.1:8000 by default).
"""

from __future__ import annotations

import html
import logging
import os
import re
import secrets
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, and_, exists, select, update
from sqlalchemy.orm import Session, aliased, selectinload

from engine.contract import ItemKind
from engine.core.access import reader_of, require_readable
from engine.core.credentials import token_digest
from engine.core.items import Outcome, act, get_item, possible_actions
from engine.core.queries import waits_for
from engine.core.registry import Registry
from engine.errors import ManzooriError, NotAllowed, NotFound
from engine.store import Appointment, Decision, EmailLink, Item, Officer, StepRecord
from engine.store.statuses import StepStatus

log = logging.getLogger(__name__)

LINK_HOURS = 72
NOT_BY_LINK = frozenset({"comment", "revise"})
"""Actions a link does not offer: it carries one decision, and a revision needs the form."""
_NOT_DECISIONS = NOT_BY_LINK | {"withdraw"}
_TRUE = {"1", "true", "yes", "on"}


class DeadLink(NotAllowed):
    """A link that was used, has expired, or whose step no longer waits for its officer."""

    # Gone rather than forbidden: the link was real, and nothing the officer does will
    # make it work again.
    http_status = 410


class MailError(ManzooriError):
    """The SMTP server could not be reached or refused us; what was sent stays recorded."""


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int = 25
    sender: str = "Manzoori <manzoori@localhost>"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    web_url: str = "http://127.0.0.1:8000"
    link_lifetime: timedelta = timedelta(hours=LINK_HOURS)


def mail_settings(environ: Mapping[str, str] | None = None) -> MailSettings | None:
    """The SMTP settings from the environment, or None when email is off (no host)."""
    env = os.environ if environ is None else environ
    host = env.get("MANZOORI_SMTP_HOST", "").strip()
    if not host:
        return None
    try:
        port = int(env.get("MANZOORI_SMTP_PORT") or 25)
        hours = float(env.get("MANZOORI_LINK_HOURS") or LINK_HOURS)
    except ValueError:
        raise MailError("MANZOORI_SMTP_PORT and MANZOORI_LINK_HOURS must be numbers") from None
    return MailSettings(
        host=host, port=port,
        sender=env.get("MANZOORI_SMTP_FROM") or MailSettings.sender,
        user=env.get("MANZOORI_SMTP_USER") or None,
        password=env.get("MANZOORI_SMTP_PASSWORD") or None,
        starttls=env.get("MANZOORI_SMTP_STARTTLS", "").strip().lower() in _TRUE,
        web_url=(env.get("MANZOORI_WEB_URL") or MailSettings.web_url).rstrip("/"),
        link_lifetime=timedelta(hours=hours),
    )


@dataclass(frozen=True)
class Sent:
    """One notification sent (the token itself is in the message only)."""

    reference: str
    step: str
    party: str
    officer: str
    email: str
    expires_at: datetime


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def local_time(moment: datetime, timezone: str) -> str:
    """A stored moment (naive UTC) as an officer of the party reads it: 2 December 2026, 16:53 PKT."""
    local = moment.replace(tzinfo=UTC).astimezone(ZoneInfo(timezone))
    return f"{local.day} {local:%B %Y, %H:%M %Z}"


# Sending ----------------------------------------------------------------------------------

def notify_waiting(session: Session, registry: Registry, now: datetime,
                   settings: MailSettings | None = None) -> list[Sent]:
    """Email every officer a step waits for at `now` a one-time link to decide it, once
    per step and officer; nothing when email is off. Each link is committed as soon as
    its message is accepted (not before: no write lock is held while the SMTP server
    answers), so a run that stops half way sends at most the interrupted message again."""
    settings = settings or mail_settings()
    if settings is None:
        return []
    sent: list[Sent] = []
    with _Postbox(settings) as postbox:
        for step, item, officer in waiting(session, registry, now):
            token = secrets.token_urlsafe(32)
            expires_at = now + settings.link_lifetime
            try:
                postbox.send(_message(registry, settings, item, step, officer, token, expires_at))
            except smtplib.SMTPRecipientsRefused:
                log.warning("the SMTP server refused %s's address; no link made", officer.username)
                continue
            except MailError as error:
                raise MailError(f"{error.message} ({len(sent)} sent before)") from None
            session.add(EmailLink(officer_id=officer.id, step_id=step.id, digest=token_digest(token),
                                  created_at=now, expires_at=expires_at))
            session.commit()
            sent.append(Sent(item.reference, step.name, step.party, officer.username,
                             officer.email or "", expires_at))
    return sent


def waiting(session: Session, registry: Registry,
            now: datetime) -> list[tuple[StepRecord, Item, Officer]]:
    """(step, item, officer) for each open step and each officer with an email who may
    decide it now and has not been sent a link for it. A few queries, whatever the count.

    An item's first draft waits for nobody to be told: its drafter just opened it."""
    day = now.date()
    held = aliased(Appointment)
    query = (
        select(StepRecord, Item, Officer)
        .join(Item, Item.id == StepRecord.item_id)
        .join(held, and_(held.party == StepRecord.party, held.office == StepRecord.office))
        .join(Officer, Officer.id == held.officer_id)
        .where(
            *waits_for(held, Officer.id, day),
            (StepRecord.position > 0) | (StepRecord.cycle > 1),
            Officer.email.is_not(None), Officer.email != "",
            ~exists().where(EmailLink.step_id == StepRecord.id, EmailLink.officer_id == Officer.id),
        )
        .options(selectinload(Item.parties), selectinload(Item.versions),
                 selectinload(Item.steps).selectinload(StepRecord.decisions),
                 selectinload(Officer.appointments))
        .order_by(StepRecord.due_at, StepRecord.id, Officer.id)
    )
    found: dict[tuple[int, int], tuple[StepRecord, Item, Officer]] = {}
    for step, item, officer in session.execute(query).unique():
        if (step.id, officer.id) in found:
            continue  # two appointments to the same office
        # The engine's own answer, so a drafter is never asked to check their own work.
        if set(possible_actions(session, registry, item, officer, now)) - _NOT_DECISIONS:
            found[step.id, officer.id] = (step, item, officer)
    return list(found.values())


def _message(registry: Registry, settings: MailSettings, item: Item, step: StepRecord,
             officer: Officer, token: str, expires_at: datetime) -> EmailMessage:
    party = registry.party(step.party)
    timezone = party.identity.timezone
    office = party.office(step.office).title_en
    url = f"{settings.web_url}/mail/{token}"
    expiry = local_time(expires_at, timezone)
    due = local_time(step.due_at, timezone) if step.due_at else "no deadline"
    # Titles are refused with line breaks now, but one stored before must not stop every
    # officer's notification on the Subject header: it is written on one line.
    title = " ".join(_CONTROL.sub(" ", item.title).split())
    facts = [
        ("Item", f"{item.reference} ({ItemKind(item.kind).label})"),
        ("Title", title),
        ("Step", f"{step.name}, for {office}"),
        ("Party", party.identity.name_en),
        ("Deadline", due),
    ]
    # The same in Urdu, for officers who read it first; the step under its route's Urdu label.
    step_ur = next((s.get("label_ur") for s in item.route if s.get("name") == step.name), None) or step.name
    urdu = (f"{item.reference} مرحلہ «{step_ur}» پر آپ کے فیصلے کا منتظر ہے۔ "
            f"معاملہ دیکھنے اور فیصلے کی تصدیق کے لیے یہ ربط کھولیں۔ یہ ربط ایک ہی بار کام کرتا ہے اور "
            f"{expiry} کو ختم ہو جائے گا؛ اسے آگے نہ بھیجیں۔")
    message = EmailMessage()
    message["Subject"] = f"{item.reference} waits for your {step.name}: {title}"
    message["From"] = settings.sender
    message["To"] = officer.email
    message.set_content("\n".join([
        f"Dear {officer.name},", "",
        f"{item.reference} waits for your decision at step {step.name}.", "",
        *(f"{label + ':':<10}{value}" for label, value in facts), "",
        "Open this link to see the item and confirm your decision:", url, "",
        f"The link works once and expires on {expiry}. Opening it changes nothing;",
        "you decide on the page it opens. Do not forward this message.", "",
        urdu, "",
        "Manzoori",
    ]))
    rows = "".join(f"<tr><th align=left>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>"
                   for label, value in facts)
    message.add_alternative(
        f"<p>Dear {html.escape(officer.name)},</p>"
        f"<p>{html.escape(item.reference)} waits for your decision at step "
        f"<strong>{html.escape(step.name)}</strong>.</p><table>{rows}</table>"
        f'<p><a href="{html.escape(url)}">See the item and confirm your decision</a></p>'
        f"<p>The link works once and expires on {html.escape(expiry)}. Opening it changes "
        "nothing; you decide on the page it opens. Do not forward this message.</p>"
        f'<p dir="rtl" lang="ur">{html.escape(urdu)}</p><p>Manzoori</p>',
        subtype="html",
    )
    return message


class _Postbox:
    """One SMTP connection for a whole run, opened on the first message."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> _Postbox:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        where = f"{settings.host}:{settings.port}"
        try:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=30)
            if settings.starttls:
                smtp.starttls()
            if settings.user:
                smtp.login(settings.user, settings.password or "")
        except smtplib.SMTPAuthenticationError:
            raise MailError(f"the SMTP server {where} refused the login of "
                            f"{settings.user!r}") from None
        except (smtplib.SMTPException, OSError) as error:
            raise MailError(f"cannot send through the SMTP server {where}: "
                            f"{type(error).__name__}: {error}") from None
        return smtp

    def send(self, message: EmailMessage) -> None:
        for attempt in (1, 2):
            if self.smtp is None:
                self.smtp = self._connect()
            try:
                self.smtp.send_message(message)
                return
            except smtplib.SMTPServerDisconnected:
                self.smtp = None  # reconnect once: servers drop idle or long sessions
                if attempt == 2:
                    raise MailError(f"the SMTP server {self.settings.host}:{self.settings.port} "
                                    "keeps closing the connection") from None
            except smtplib.SMTPRecipientsRefused:
                raise
            except (smtplib.SMTPException, OSError) as error:
                raise MailError(f"the SMTP server {self.settings.host}:{self.settings.port} "
                                f"did not take the message: {error}") from None


# Following a link ---------------------------------------------------------------------------

@dataclass(frozen=True)
class LiveLink:
    """A link that may still be followed, with what it is for."""

    link: EmailLink
    officer: Officer
    step: StepRecord
    item: Item


def open_link(session: Session, registry: Registry, token: str, now: datetime) -> LiveLink:
    """The live link for `token`, or why it is refused: NotFound when no link has this
    token, DeadLink when it was used, has expired or its step no longer waits for it."""
    link = session.scalar(
        select(EmailLink).where(EmailLink.digest == token_digest(token))
        .options(selectinload(EmailLink.officer).selectinload(Officer.appointments))
    )
    if link is None:
        raise NotFound("This link is not valid.")
    step = session.get_one(StepRecord, link.step_id)
    reference = session.execute(select(Item.reference).where(Item.id == step.item_id)).scalar_one()
    item = get_item(session, reference)
    # Sent only to officers a step waits for, so readable when sent; asked again all the same.
    require_readable(session, reader_of(session, registry, link.officer, now.date()), item,
                     missing="This link is not valid.")
    timezone = registry.party(step.party).identity.timezone
    if link.used_at is not None:
        raise DeadLink(f"This link was already used on {local_time(link.used_at, timezone)}.")
    if link.expires_at <= now:
        raise DeadLink(f"This link expired on {local_time(link.expires_at, timezone)}.")
    if step.status != StepStatus.OPEN:
        raise DeadLink(f"{reference} has moved on since this link was sent: the {step.name} "
                       f"step it was for is {step.status}, and the item is now at {item.state}.")
    if not step.open_to(link.officer_id):
        raise DeadLink(f"The {step.name} step of {reference} was assigned to another officer "
                       "since this link was sent.")
    decided = session.scalar(select(Decision).where(Decision.step_id == step.id,
                                                    Decision.officer_id == link.officer_id))
    if decided is not None:
        raise DeadLink(f"You already decided ({decided.action}) at the {step.name} step of "
                       f"{reference} on {local_time(decided.at, timezone)}.")
    return LiveLink(link, link.officer, step, item)


def link_actions(session: Session, registry: Registry, live: LiveLink, now: datetime) -> list[str]:
    """The decisions the link's officer may take on its item now, as its page offers them."""
    return [action for action in possible_actions(session, registry, live.item, live.officer, now)
            if action not in NOT_BY_LINK]


def decide(session: Session, registry: Registry, live: LiveLink, *, action: str,
           comment: str | None, expected_revision: int | None, now: datetime) -> Outcome:
    """Take the decision and spend the link in one transaction: a refused decision
    leaves the link live, and two clicks on the same link decide once."""
    try:
        spent = cast(CursorResult[Any], session.execute(
            update(EmailLink).where(EmailLink.id == live.link.id, EmailLink.used_at.is_(None))
            .values(used_at=now)
        ))
        if spent.rowcount != 1:
            raise DeadLink("This link was already used.")
        # `act` commits the whole session, the spent link with the decision, or rolls both back.
        return act(session, registry, reference=live.item.reference, action=action,
                   officer=live.officer.username, comment=comment, own_key=f"mail:{live.link.id}",
                   expected_revision=expected_revision, now=now)
    except BaseException:
        session.rollback()
        raise
