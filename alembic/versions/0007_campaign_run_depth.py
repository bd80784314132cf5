"""campaign run depth

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 23:00:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # How far down a phase's unit runs go. Campaigns launched before this revision ran down to
    # the institutions, which the server default gives them; it stays for rows written by code
    # that does not know the column.
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('run_depth', sqlmodel.sql.sqltypes.AutoString(length=16), server_default='institution', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('run_depth')
