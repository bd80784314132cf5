"""inspection sampling and visits

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 12:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
from sqlalchemy.dialects import postgresql


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inspectionsample',
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('seed', sa.BigInteger(), nullable=False),
    sa.Column('drawn_on', sa.Date(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'size', 'seed')
    )
    with op.batch_alter_table('inspectionsample', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspectionsample_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('inspectionvisit',
    # The level type exists since 0001 (unit.level): reuse it, never create or drop it here.
    sa.Column('stratum', postgresql.ENUM('ministry', 'province', 'city', 'county', 'institution', 'department', name='level', create_type=False), nullable=False),
    sa.Column('lagging', sa.Boolean(), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('inspected_on', sa.Date(), nullable=True),
    sa.Column('inspector', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('problems', sa.Integer(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sample_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.ForeignKeyConstraint(['sample_id'], ['inspectionsample.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sample_id', 'unit_id')
    )
    with op.batch_alter_table('inspectionvisit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspectionvisit_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspectionvisit_sample_id'), ['sample_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspectionvisit_unit_id'), ['unit_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('inspectionvisit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspectionvisit_unit_id'))
        batch_op.drop_index(batch_op.f('ix_inspectionvisit_sample_id'))
        batch_op.drop_index(batch_op.f('ix_inspectionvisit_campaign_id'))

    op.drop_table('inspectionvisit')
    with op.batch_alter_table('inspectionsample', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspectionsample_campaign_id'))

    op.drop_table('inspectionsample')
    # No enum type to drop: `level` belongs to 0001 (unit.level) and outlives these tables.
