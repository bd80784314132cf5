"""adopted plans

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 01:36:42
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_FK = 'fk_deliverable_due_plan_unit_id_unit'


def upgrade() -> None:
    # A unit's own plan (实施方案) for its subtree, every version kept.
    op.create_table('adopted_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('source_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('source_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('plan', sa.JSON(), nullable=False),
    sa.Column('dues', sa.JSON(), nullable=False),
    sa.Column('phases', sa.JSON(), nullable=False),
    sa.Column('allow_late', sa.Boolean(), nullable=False),
    sa.Column('late_reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('late_items', sa.JSON(), nullable=False),
    sa.Column('adopted_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('adopted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'unit_id', 'version')
    )
    with op.batch_alter_table('adopted_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adopted_plan_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_adopted_plan_unit_id'), ['unit_id'], unique=False)

    # Where a deliverable's deadline comes from: NULL (every row written before) is the
    # template's cascade, as it was.
    with op.batch_alter_table('deliverable', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_plan_unit_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(_FK, 'unit', ['due_plan_unit_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('deliverable', schema=None) as batch_op:
        batch_op.drop_constraint(_FK, type_='foreignkey')
        batch_op.drop_column('due_plan_unit_id')

    with op.batch_alter_table('adopted_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adopted_plan_unit_id'))
        batch_op.drop_index(batch_op.f('ix_adopted_plan_campaign_id'))

    op.drop_table('adopted_plan')
