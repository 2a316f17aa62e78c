"""signatures: signing keys, signatures, a global sequence on events

The event hash now also covers the global sequence and the idempotency key, and a
version's digest its author and dates, so that changing any stored field is seen by
`manzoori verify`. Existing chains and digests are recomputed once here, under the new
rules: what the database holds at this upgrade is what later verifications start from.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from engine.store import audit

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('global_seq', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint('uq_events_global_seq', ['global_seq'])
    op.execute("UPDATE events SET global_seq = id")

    op.create_table('signing_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('private_key', sa.Text(), nullable=True),
    sa.Column('key_file', sa.String(length=500), nullable=True),
    sa.Column('sample', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['officer_id'], ['officers.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('public_key')
    )
    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signing_keys_officer_id'), ['officer_id'], unique=False)

    op.create_table('signatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('event_seq', sa.Integer(), nullable=False),
    sa.Column('party', sa.String(length=32), nullable=False),
    sa.Column('office', sa.String(length=48), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=False),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('key_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], ),
    sa.ForeignKeyConstraint(['key_id'], ['signing_keys.id'], ),
    sa.ForeignKeyConstraint(['officer_id'], ['officers.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signatures_item_id'), ['item_id'], unique=False)

    _recompute(op.get_bind())


def _recompute(connection: sa.engine.Connection) -> None:
    """Re-chain every item's events and re-digest its submitted versions under 0005's rules."""
    meta = sa.MetaData()
    events, items, officers, versions, parties = (
        sa.Table(name, meta, autoload_with=connection)
        for name in ("events", "items", "officers", "versions", "item_parties"))
    names = dict(connection.execute(sa.select(officers.c.id, officers.c.username)).all())
    for item_id, reference in connection.execute(sa.select(items.c.id, items.c.reference)).all():
        prev = audit.GENESIS
        for row in connection.execute(sa.select(events).where(events.c.item_id == item_id)
                                      .order_by(events.c.seq)).all():
            new = audit.event_hash(prev, audit.event_fields(reference, names.get(row.officer_id), row))
            connection.execute(sa.update(events).where(events.c.id == row.id)
                               .values(prev_hash=prev, hash=new))
            prev = new
        codes = list(connection.execute(sa.select(parties.c.party).where(parties.c.item_id == item_id)
                                        .order_by(parties.c.position)).scalars())
        for row in connection.execute(sa.select(versions).where(
                versions.c.item_id == item_id, versions.c.submitted_at.is_not(None))).all():
            digest = audit.version_digest(reference, row.number, row.title, row.form_model, row.form,
                                          codes, names[row.author_id], row.created_at, row.submitted_at)
            connection.execute(sa.update(versions).where(versions.c.id == row.id).values(digest=digest))


def downgrade() -> None:
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signatures_item_id'))
    op.drop_table('signatures')
    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signing_keys_officer_id'))
    op.drop_table('signing_keys')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_constraint('uq_events_global_seq', type_='unique')
        batch_op.drop_column('global_seq')
