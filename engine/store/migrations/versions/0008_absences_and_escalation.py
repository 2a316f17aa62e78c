"""absences and escalation: officers away with a substitute, decisions and signatures
taken in another capacity, steps escalated to an office that may decide them

Existing decisions were all taken by holders of the step's office.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('absences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=False),
    sa.Column('substitute_id', sa.Integer(), nullable=False),
    sa.Column('since', sa.Date(), nullable=False),
    sa.Column('until', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('back_on', sa.Date(), nullable=True),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['officer_id'], ['officers.id'], ),
    sa.ForeignKeyConstraint(['substitute_id'], ['officers.id'], ),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['officers.id'], ),
    sa.ForeignKeyConstraint(['ended_by_id'], ['officers.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('absences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_absences_officer_id'), ['officer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_absences_substitute_id'), ['substitute_id'], unique=False)
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('capacity', sa.String(length=16), nullable=False,
                                      server_default='holder'))
        batch_op.add_column(sa.Column('for_officer_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_decisions_for_officer_id', 'officers', ['for_officer_id'], ['id'])
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('acting_for_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_signatures_acting_for_id', 'officers', ['acting_for_id'], ['id'])
    with op.batch_alter_table('steps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('escalated_to', sa.String(length=48), nullable=True))
        batch_op.create_index('ix_steps_escalated', ['escalated_to', 'status', 'party'], unique=False)


def downgrade() -> None:
    # Not a batch (copy and move) on SQLite: decisions and email links refer to the steps,
    # whose table cannot be dropped under them. Both databases drop a column in place.
    op.drop_index('ix_steps_escalated', table_name='steps')
    op.execute("ALTER TABLE steps DROP COLUMN escalated_to")
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_constraint('fk_signatures_acting_for_id', type_='foreignkey')
        batch_op.drop_column('acting_for_id')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_constraint('fk_decisions_for_officer_id', type_='foreignkey')
        batch_op.drop_column('for_officer_id')
        batch_op.drop_column('capacity')
    with op.batch_alter_table('absences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_absences_substitute_id'))
        batch_op.drop_index(batch_op.f('ix_absences_officer_id'))
    op.drop_table('absences')
