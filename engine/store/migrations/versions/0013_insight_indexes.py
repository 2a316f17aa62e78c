"""indexes for the insight figures' periods

The figures of a period (engine.core.insight) select items by when they were drafted and
ended, steps by when they closed (all, or one party's), return decisions and deadline notices by when they were
taken; without these indexes each is a scan of its whole table.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_items_created_at', 'items', ['created_at'])
    op.create_index('ix_items_ended', 'items', ['updated_at', 'state'])
    op.create_index('ix_steps_closed_at', 'steps', ['closed_at'])
    op.create_index('ix_steps_party_closed_at', 'steps', ['party', 'closed_at'])
    op.create_index('ix_decisions_action_at', 'decisions', ['action', 'at'])
    op.create_index('ix_events_action_at', 'events', ['action', 'at'])


def downgrade() -> None:
    op.drop_index('ix_events_action_at', table_name='events')
    op.drop_index('ix_decisions_action_at', table_name='decisions')
    op.drop_index('ix_steps_party_closed_at', table_name='steps')
    op.drop_index('ix_steps_closed_at', table_name='steps')
    op.drop_index('ix_items_ended', table_name='items')
    op.drop_index('ix_items_created_at', table_name='items')
