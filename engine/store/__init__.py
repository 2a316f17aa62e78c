"""Storage: the tables (`models`), the database (`database`), the unit of work
(`transaction`), the hash chain (`audit`) and the migrations. The core reads and
writes through these names; interfaces only open a database and hand its sessions on.
"""

from engine.store.database import (
    database_url,
    home,
    make_engine,
    open_database,
    schema_revision,
    session_scope,
    upgrade,
)
from engine.store.models import (
    SCHEMA_REVISION,
    ApiToken,
    Appointment,
    AuditEvent,
    Base,
    Credential,
    Decision,
    EmailLink,
    Item,
    ItemParty,
    ItemRun,
    Officer,
    OutboxEntry,
    PlanAction,
    ProgressReport,
    Signature,
    SigningKey,
    StepRecord,
    Version,
    check_text,
)
from engine.store.transaction import begin_writing, one_transaction

__all__ = [
    "SCHEMA_REVISION",
    "ApiToken",
    "Appointment",
    "AuditEvent",
    "Base",
    "Credential",
    "Decision",
    "EmailLink",
    "Item",
    "ItemParty",
    "ItemRun",
    "Officer",
    "OutboxEntry",
    "PlanAction",
    "ProgressReport",
    "Signature",
    "SigningKey",
    "StepRecord",
    "Version",
    "begin_writing",
    "check_text",
    "database_url",
    "home",
    "make_engine",
    "one_transaction",
    "open_database",
    "schema_revision",
    "session_scope",
    "upgrade",
]
