"""The tables. The schema is owned by the Alembic migrations in `engine/store/migrations`;
`SCHEMA_REVISION` names the one these models correspond to."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    and_,
    event,
    or_,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
)
from sqlalchemy.orm.attributes import get_history
from sqlalchemy.sql.elements import ColumnElement

from engine.contract.forms import MAX_TEXT, control_character
from engine.errors import InvalidForm, NotAllowed

#: The Alembic revision the models correspond to; `open_database` upgrades to it.
SCHEMA_REVISION = "0012"


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Officer(Base):
    __tablename__ = "officers"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    sample: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    """argon2id; None until a password is set (`manzoori officers password`)."""
    email: Mapped[str | None] = mapped_column(String(200))

    # Ordered, so that what an officer is told they hold reads the same on every database
    # (PostgreSQL returns rows in no particular order after an update).
    appointments: Mapped[list[Appointment]] = relationship(back_populates="officer",
                                                           order_by="Appointment.id")


def _appointments_active_on(appointment: type[Appointment], day: date) -> ColumnElement[bool]:
    """`Appointment.active_on` in SQL."""
    return and_(or_(appointment.since.is_(None), appointment.since <= day),
                or_(appointment.until.is_(None), appointment.until >= day))


class Appointment(Base):
    """An officer holding one office of one party, between two dates (inclusive)."""

    __tablename__ = "appointments"
    __table_args__ = (Index("ix_appointments_party_office", "party", "office"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"), index=True)
    party: Mapped[str] = mapped_column(String(32))
    office: Mapped[str] = mapped_column(String(48))
    since: Mapped[date | None] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(300))

    officer: Mapped[Officer] = relationship(back_populates="appointments")

    def _active_on(self, day: date) -> bool:
        return (self.since is None or self.since <= day) and (self.until is None or day <= self.until)

    #: Held on `day`, both ends inclusive: `appointment.active_on(day)` in Python,
    #: `Appointment.active_on(day)` (or an alias's) in a query; one rule for both.
    active_on = hybrid_method(_active_on, _appointments_active_on)


class Absence(Base):
    """An officer away between two dates (inclusive), with the substitute who acts for
    them meanwhile (engine.core.absences)."""

    __tablename__ = "absences"

    id: Mapped[int] = mapped_column(primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"), index=True)
    substitute_id: Mapped[int] = mapped_column(ForeignKey("officers.id"), index=True)
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(300))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    back_on: Mapped[date | None] = mapped_column(Date)
    """Set when the absence was ended early: the officer's first day back."""
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))

    officer: Mapped[Officer] = relationship(foreign_keys=[officer_id])
    substitute: Mapped[Officer] = relationship(foreign_keys=[substitute_id])
    recorded_by: Mapped[Officer] = relationship(foreign_keys=[recorded_by_id])

    @property
    def last_day(self) -> date:
        """The last day the delegation runs: `until`, or the day before the officer came back."""
        return min(self.until, self.back_on - timedelta(days=1)) if self.back_on else self.until

    def in_force(self, day: date) -> bool:
        return self.since <= day <= self.last_day


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(64), index=True)
    drafting_party: Mapped[str] = mapped_column(String(32), index=True)
    drafter_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    flow_version: Mapped[int] = mapped_column(Integer)
    route: Mapped[list[Any]] = mapped_column(JSON)
    definition: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """Each party's definition version and the roles then in force (engine.core.definitions);
    None for items drafted before definitions had versions (they follow definition 1)."""
    stage: Mapped[int] = mapped_column(Integer, default=0)
    """The route position of the join the item is at: from there each party walks its own
    steps (see engine.core.flows.Route.segment); `state` names the least advanced one."""
    cycle: Mapped[int] = mapped_column(Integer, default=1)
    ordered_signing: Mapped[bool] = mapped_column(Boolean, default=False)
    revision: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    drafter: Mapped[Officer] = relationship()
    parties: Mapped[list[ItemParty]] = relationship(
        order_by="ItemParty.position", cascade="all, delete-orphan"
    )
    versions: Mapped[list[Version]] = relationship(order_by="Version.number")
    steps: Mapped[list[StepRecord]] = relationship(order_by="StepRecord.id")
    signatures: Mapped[list[Signature]] = relationship(order_by="Signature.id", viewonly=True)

    # A concurrent change to the same item fails the second writer's UPDATE.
    __mapper_args__ = {"version_id_col": revision}

    @property
    def current_steps(self) -> list[StepRecord]:
        """The step records of this cycle from the join the item is at (`stage`) on, whatever
        their status: each party's steps since that join, at its own pace."""
        return [s for s in self.steps if s.cycle == self.cycle and s.position >= self.stage]

    @property
    def party_codes(self) -> list[str]:
        return [party.party for party in self.parties]


class ItemParty(Base):
    __tablename__ = "item_parties"
    __table_args__ = (UniqueConstraint("item_id", "party"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    party: Mapped[str] = mapped_column(String(32), index=True)
    position: Mapped[int] = mapped_column(Integer)


class Version(Base):
    """One version of an item's content; frozen once submitted."""

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("item_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    form_model: Mapped[str] = mapped_column(String(120))
    form: Mapped[dict[str, Any]] = mapped_column(JSON)
    author_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    digest: Mapped[str | None] = mapped_column(String(64))

    author: Mapped[Officer] = relationship()

    @property
    def frozen(self) -> bool:
        return self.submitted_at is not None


def _steps_open_to(step: type[StepRecord], officer_id: Any) -> ColumnElement[bool]:
    """`StepRecord.open_to` in SQL."""
    return or_(step.assigned_to_id.is_(None), step.assigned_to_id == officer_id, step.quorum > 1)


class StepRecord(Base):
    """One party's instance of a route step in one cycle of the item's flow."""

    __tablename__ = "steps"
    __table_args__ = (Index("ix_steps_waiting", "status", "party", "office"),
                      Index("ix_steps_escalated", "escalated_to", "status", "party"))

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    cycle: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    party: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(48))
    office: Mapped[str] = mapped_column(String(48))
    quorum: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16))
    """open (waiting for decisions), pending (its turn has not come), done, closed."""
    opened_at: Mapped[datetime | None] = mapped_column(DateTime)
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    """Set when the step was reassigned to one officer of its office; only they may act
    (on a quorum step the assignee is one of those it needs: the others still count)."""
    escalated_to: Mapped[str | None] = mapped_column(String(48))
    """The office of the step's party an overdue step was escalated to, when the party's
    rule lets that office decide it (engine.core.deadlines); None otherwise."""

    decisions: Mapped[list[Decision]] = relationship(order_by="Decision.id")

    def _open_to(self, officer_id: int) -> bool:
        return self.assigned_to_id in (None, officer_id) or self.quorum > 1

    #: Whether the step's assignment leaves `officer_id` free to decide it (the rule in
    #: Python and, as `StepRecord.open_to(column)`, in a query).
    open_to = hybrid_method(_open_to, _steps_open_to)


class Decision(Base):
    __tablename__ = "decisions"
    __table_args__ = (UniqueConstraint("step_id", "officer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("steps.id"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    action: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(DateTime)
    capacity: Mapped[str] = mapped_column(String(16), default="holder", server_default="holder")
    """holder, substitute (for an absent holder) or escalated (engine.core.authority)."""
    for_officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    """The absent holder a substitute decided for."""

    officer: Mapped[Officer] = relationship(foreign_keys=[officer_id])
    for_officer: Mapped[Officer | None] = relationship(foreign_keys=[for_officer_id])


class AuditEvent(Base):
    """The append-only, hash-chained history: every action on an item is one event."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("item_id", "seq"),
        UniqueConstraint("item_id", "idempotency_key"),
        UniqueConstraint("global_seq", name="uq_events_global_seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    action: Mapped[str] = mapped_column(String(32))
    step: Mapped[str | None] = mapped_column(String(64))
    party: Mapped[str | None] = mapped_column(String(32))
    version: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    global_seq: Mapped[int | None] = mapped_column(Integer)
    """The event's place among all events of all items: the row's autoincrement id, which
    SQLite and PostgreSQL hand out without races; set at insert and covered by the hash."""

    officer: Mapped[Officer | None] = relationship()


class SigningKey(Base):
    """An officer's Ed25519 key pair. The private key is kept only encrypted under the
    holder's passphrase (OpenSSH format, bcrypt KDF), here or in a file the holder keeps."""

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"), index=True)
    public_key: Mapped[str] = mapped_column(String(64), unique=True)
    """The raw 32-byte Ed25519 public key, hex."""
    private_key: Mapped[str | None] = mapped_column(Text)
    """The encrypted private key; None when the holder keeps it in `key_file`."""
    key_file: Mapped[str | None] = mapped_column(String(500))
    sample: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    officer: Mapped[Officer] = relationship()


class Signature(Base):
    """One office holder's signature on one version of an item, for one party."""

    __tablename__ = "signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    event_seq: Mapped[int] = mapped_column(Integer)
    """The item's `sign` event, which keeps a copy of everything below."""
    party: Mapped[str] = mapped_column(String(32))
    office: Mapped[str] = mapped_column(String(48))
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    holder: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime] = mapped_column(DateTime)
    digest: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the canonical signed content (`engine.core.signatures.signed_content`)."""
    signature: Mapped[str] = mapped_column(String(128))
    """Ed25519 over the digest's 32 bytes, hex."""
    public_key: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[int] = mapped_column(ForeignKey("signing_keys.id"))
    acting_for_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    """The absent holder a substitute signed for, with their own key (covered by the digest)."""

    officer: Mapped[Officer] = relationship(foreign_keys=[officer_id])
    acting_for: Mapped[Officer | None] = relationship(foreign_keys=[acting_for_id])


class Certificate(Base):
    """An X.509 certificate of a party's PDF signing: its certificate authority's own (no
    `signing_key_id`, no `office`) or an office holder's for one office, bound to the holder's
    signing key (`engine.core.certificates`). A private key is kept only encrypted under a
    passphrase (OpenSSH format: bcrypt KDF, AES-256): the CA's under the CA passphrase, a
    holder's under their signing key's."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    party: Mapped[str] = mapped_column(String(32), index=True)
    serial: Mapped[str] = mapped_column(String(40), unique=True)
    """The serial number, hex."""
    office: Mapped[str | None] = mapped_column(String(48))
    signing_key_id: Mapped[int | None] = mapped_column(ForeignKey("signing_keys.id"), index=True)
    pem: Mapped[str] = mapped_column(Text)
    private_key: Mapped[str | None] = mapped_column(Text)
    not_before: Mapped[datetime] = mapped_column(DateTime)
    not_after: Mapped[datetime] = mapped_column(DateTime)
    imported: Mapped[bool] = mapped_column(Boolean, default=False)
    sample: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    """Revoked by hand (`manzoori ca revoke`); a revoked key or an ended appointment
    revokes it too, without a mark here (`engine.core.certificates.revocation`)."""

    signing_key: Mapped[SigningKey | None] = relationship()


class SignedDocument(Base):
    """The PDF of one version with its PAdES signatures, one incremental update per
    signature in signing order: each signatory adds theirs when they sign."""

    __tablename__ = "signed_documents"
    __table_args__ = (UniqueConstraint("item_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    version: Mapped[int] = mapped_column(Integer)
    signatures: Mapped[int] = mapped_column(Integer)
    """The engine signatures (table `signatures`) this PDF carries as PAdES signatures."""
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class OutboxEntry(Base):
    """An event the item's Prefect flow run has yet to hear of.

    Written in the same transaction as the event, so an officer's action never waits
    on Prefect; `workflows.dispatch` delivers the entries in order, once each, whenever
    Prefect is reachable.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_waiting", "delivered_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    event_seq: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
    outcome: Mapped[str | None] = mapped_column(String(32))
    """started, resumed, caught-up (the run had already seen it) or ended."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class ItemRun(Base):
    """The Prefect flow run that carries an item's lifecycle."""

    __tablename__ = "item_runs"

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    flow_run_id: Mapped[str] = mapped_column(String(36), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ApiToken(Base):
    """A bearer token for a machine client acting as an officer; only its digest is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    """The token is refused from this moment on (tokens made before expiries existed got
    one at the upgrade)."""

    officer: Mapped[Officer] = relationship()


class WebSession(Base):
    """An officer's logged-in browser: the cookie holds a random token, the table only its
    digest, so logging out, a new password or an administrator ends it for good, and it
    ends by itself at `expires_at` (an absolute lifetime that nothing extends)."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_why: Mapped[str | None] = mapped_column(String(32))
    """logout, password, administrator."""
    client: Mapped[str | None] = mapped_column(String(64))
    """The address it was opened from, for the listing."""

    officer: Mapped[Officer] = relationship()


class EmailLink(Base):
    """A one-time link mailed to an officer for one decision on one waiting step."""

    __tablename__ = "email_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"), index=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("steps.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)

    officer: Mapped[Officer] = relationship()


class Credential(Base):
    """A one-time code an officer uses outside the engine's own interfaces (the Prefect
    UI's resume form). Only its SHA-256 digest is stored; a used or expired code is dead."""

    __tablename__ = "credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class PlanAction(Base):
    """One party's action in a quarter's plan: a point of an adopted joint resolution."""

    __tablename__ = "plan_actions"
    __table_args__ = (
        UniqueConstraint("item_id", "point_index", "party", name="uq_plan_actions_point_party"),
        Index("ix_plan_actions_quarter_party", "quarter", "party"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    point_index: Mapped[int] = mapped_column(Integer)
    party: Mapped[str] = mapped_column(String(32))
    quarter: Mapped[str] = mapped_column(String(7))
    """Like "2016-Q1": the quarter after the resolution's adoption."""
    text: Mapped[str] = mapped_column(Text)
    priority_area: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime)

    item: Mapped[Item] = relationship()
    reports: Mapped[list[ProgressReport]] = relationship(
        back_populates="action", order_by="ProgressReport.id")


class ProgressReport(Base):
    """A party's implementation status of one plan action for one quarter: drafted by
    its reporter, counted once cleared by its clearer (maker and checker differ)."""

    __tablename__ = "progress_reports"
    __table_args__ = (
        UniqueConstraint("action_id", "party", "quarter", name="uq_progress_reports_action_quarter"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("plan_actions.id"), index=True)
    party: Mapped[str] = mapped_column(String(32))
    quarter: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(16))
    """not_started, in_progress, done or blocked."""
    reason: Mapped[str | None] = mapped_column(Text)
    """Why the action is blocked (required then)."""
    note: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[list[Any]] = mapped_column(JSON)
    """[{"name": ..., "sha256": ...}] of the files the reporter attached."""
    drafted_by_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    drafted_at: Mapped[datetime] = mapped_column(DateTime)
    cleared_by_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime)
    state: Mapped[str] = mapped_column(String(16))
    """draft, or cleared (only cleared reports count for the secretariat)."""

    action: Mapped[PlanAction] = relationship(back_populates="reports")
    drafted_by: Mapped[Officer] = relationship(foreign_keys=[drafted_by_id])
    cleared_by: Mapped[Officer | None] = relationship(foreign_keys=[cleared_by_id])


@event.listens_for(Session, "before_flush")
def _frozen_versions_stay_frozen(session: Session, _context: Any, _instances: Any) -> None:
    """A submitted version never changes, whichever code path tries (DESIGN invariant)."""

    for instance in session.dirty:
        if not isinstance(instance, Version) or not session.is_modified(instance):
            continue
        before = get_history(instance, "submitted_at").deleted
        was_submitted = instance.submitted_at is not None and not get_history(
            instance, "submitted_at").added
        if (before and before[0] is not None) or was_submitted and _content_changed(instance):
            raise NotAllowed(f"version {instance.number} is submitted and frozen; "
                             "changes make a new version")


@event.listens_for(Session, "before_flush")
def _text_fits_its_column(session: Session, _context: Any, _instances: Any) -> None:
    """Text longer than its column is refused on every database alike, naming the field:
    PostgreSQL would fail the statement, SQLite would store it anyway."""
    for instance in (*session.new, *session.dirty):
        for column in instance.__table__.columns:
            limit = getattr(column.type, "length", None)
            value = instance.__dict__.get(column.key)  # only what is loaded or set
            if limit and isinstance(value, str) and len(value) > limit:
                raise InvalidForm(f"{column.key} is longer than {limit} characters "
                                  f"({len(value)}; {column.table.name}.{column.key})",
                                  problems=[(column.key, f"at most {limit} characters")])


MAX_DEPTH = 20
"""How deeply form data may nest (a form's rows of rows are three levels)."""


def check_text(value: Any, where: str, depth: int = 0) -> None:
    """Refuse text no database can store faithfully, or nobody could read: NUL and other
    control characters (line breaks and tabs pass), lone surrogates (what a terminal or a
    client sends for bytes that are not UTF-8), text over MAX_TEXT characters, and data
    nested over MAX_DEPTH levels, anywhere in `value`."""
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidForm(f"{where} contains a NUL character", problems=[(where, "NUL character")])
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidForm(f"{where} is not valid text (bytes that are not UTF-8)",
                              problems=[(where, "not UTF-8")]) from None
        if len(value) > MAX_TEXT:
            raise InvalidForm(f"{where} is too long ({len(value)} characters, at most {MAX_TEXT})",
                              problems=[(where, f"at most {MAX_TEXT} characters")])
        problem = control_character(value, single_line=False)
        if problem is not None:
            raise InvalidForm(f"{where} contains {problem}", problems=[(where, f"contains {problem}")])
    elif isinstance(value, dict | list) and depth >= MAX_DEPTH:
        raise InvalidForm(f"{where} is nested too deeply (at most {MAX_DEPTH} levels)",
                          problems=[(where, f"nested over {MAX_DEPTH} levels")])
    elif isinstance(value, dict):
        for key, inner in value.items():
            check_text(key, where, depth + 1)
            check_text(inner, f"{where}.{key}" if where != "form" else str(key), depth + 1)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            check_text(inner, f"{where}[{index}]", depth + 1)


def _content_changed(version: Version) -> bool:
    return any(
        get_history(version, name).has_changes()
        for name in ("title", "form", "form_model", "author_id", "number", "digest")
    )
