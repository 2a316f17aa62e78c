"""X.509 certificates of the parties' CAs and office holders; PDFs with PAdES signatures

Revision ID: 0012
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('party', sa.String(length=32), nullable=False),
    sa.Column('serial', sa.String(length=40), nullable=False),
    sa.Column('office', sa.String(length=48), nullable=True),
    sa.Column('signing_key_id', sa.Integer(), nullable=True),
    sa.Column('pem', sa.Text(), nullable=False),
    sa.Column('private_key', sa.Text(), nullable=True),
    sa.Column('not_before', sa.DateTime(), nullable=False),
    sa.Column('not_after', sa.DateTime(), nullable=False),
    sa.Column('imported', sa.Boolean(), nullable=False),
    sa.Column('sample', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['signing_key_id'], ['signing_keys.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('serial')
    )
    op.create_index('ix_certificates_party', 'certificates', ['party'], unique=False)
    op.create_index('ix_certificates_signing_key_id', 'certificates', ['signing_key_id'], unique=False)
    op.create_table('signed_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('signatures', sa.Integer(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('item_id', 'version')
    )


def downgrade() -> None:
    op.drop_table('signed_documents')
    op.drop_index('ix_certificates_signing_key_id', table_name='certificates')
    op.drop_index('ix_certificates_party', table_name='certificates')
    op.drop_table('certificates')
