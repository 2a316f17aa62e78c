"""parties at their own pace: joins on every stored route, items in flight moved over

Each step of a route now says whether it is a join (it opens only once every party is
done with the steps before it); between joins each party walks its own steps. Routes
stored before have no joins recorded, which the engine reads as "every step a join" (the
old lockstep). Here the routes of items still in flight get the joins of the flows as
they stand at this revision — a snapshot kept in this file, as a migration must be:
an inter-provincial agreement's approval is no join (each party approves once its own
review is done), nor is an extra step a party adds (it is that party's own), unless it
follows a drafting step. An item whose route changes this way gets a `migrated` event in
its hash-chained history carrying the new route, so that `engine.core.replay` rebuilds
its state, and its stage becomes the join it is at.

Revision ID: 0007
Revises: 0006
"""

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from engine.store import audit

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

ENDED = ("in_force", "adopted", "executed", "rejected", "withdrawn")
NOT_JOINS = {("agreement", "approval")}


def joined(kind: str, route: list[dict]) -> list[dict]:
    """The route with each step's join, by the flows of this revision."""
    steps, after_drafting = [], True
    for step in route:
        if step.get("source", "core") == "core":
            join = (kind, step["name"]) not in NOT_JOINS
            after_drafting = "submit" in step["actions"]
        else:
            join = after_drafting
        steps.append({**step, "join": join})
    return steps


def segment_start(route: list[dict], position: int) -> int:
    while position > 0 and position < len(route) and not route[position]["join"]:
        position -= 1
    return position


def upgrade() -> None:
    bind = op.get_bind()
    items = bind.execute(sa.text(
        "SELECT id, reference, kind, route, stage, state, cycle FROM items "
        "WHERE state NOT IN :ended").bindparams(sa.bindparam("ended", expanding=True)),
        {"ended": list(ENDED)}).mappings().all()
    items_table = sa.table("items", sa.column("id"), sa.column("route", sa.JSON),
                           sa.column("stage"), sa.column("revision"))
    events = sa.table("events", sa.column("id"), sa.column("item_id"), sa.column("seq"),
                      sa.column("at"), sa.column("officer_id"), sa.column("action"),
                      sa.column("step"), sa.column("party"), sa.column("version"),
                      sa.column("comment"), sa.column("payload", sa.JSON),
                      sa.column("idempotency_key"), sa.column("prev_hash"), sa.column("hash"),
                      sa.column("global_seq"))
    outbox = sa.table("outbox", sa.column("item_id"), sa.column("event_seq"), sa.column("created_at"),
                      sa.column("attempts"))
    now = datetime.now(UTC).replace(tzinfo=None)
    for item in items:
        old = item["route"] if isinstance(item["route"], list) else json.loads(item["route"])
        route = joined(item["kind"], old)
        stage = segment_start(route, item["stage"])
        bind.execute(items_table.update().where(items_table.c.id == item["id"])
                     .values(route=route, stage=stage, revision=items_table.c.revision + 1))
        if all(step["join"] for step in route):
            continue  # moves as it did: nothing for its history to say
        last = bind.execute(sa.text(
            "SELECT seq, hash, version FROM events WHERE item_id = :item ORDER BY seq DESC LIMIT 1"),
            {"item": item["id"]}).mappings().one()
        row = {"item_id": item["id"], "seq": last["seq"] + 1, "at": now, "officer_id": None,
               "action": "migrated", "step": item["state"], "party": None,
               "version": last["version"],
               "comment": "each party now moves at its own pace between the flow's joins",
               "payload": {"route": route, "stage": stage, "state": item["state"],
                           "cycle": item["cycle"], "changes": ["parties at their own pace"]},
               "idempotency_key": None, "prev_hash": last["hash"], "hash": ""}
        event_id = bind.execute(events.insert().values(**row).returning(events.c.id)).scalar_one()
        fields = audit.event_fields(item["reference"], None, _Row(**row, global_seq=event_id))
        bind.execute(events.update().where(events.c.id == event_id)
                     .values(global_seq=event_id, hash=audit.event_hash(last["hash"], fields)))
        bind.execute(outbox.insert().values(item_id=item["id"], event_seq=row["seq"], created_at=now,
                                            attempts=0))


class _Row:
    def __init__(self, **columns: object) -> None:
        self.__dict__.update(columns)


def downgrade() -> None:
    # The joins stay on the routes: an older engine ignores them and moves in lockstep.
    pass
