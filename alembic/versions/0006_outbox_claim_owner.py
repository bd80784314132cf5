"""outbox claim owner

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 10:00:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Who holds a ``sending`` digest: a re-run takes over at once the claims of a process that
    # is gone. Rows claimed before this revision have no owner and wait for their lease.
    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by_host', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch_op.add_column(sa.Column('claimed_by_pid', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('claimed_by_start', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('claimed_by_start')
        batch_op.drop_column('claimed_by_pid')
        batch_op.drop_column('claimed_by_host')
