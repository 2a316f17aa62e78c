"""versioned definitions: the party definitions an item follows

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 14:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Items already stored keep NULL: they follow each party's definition 1.
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('definition', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_column('definition')
