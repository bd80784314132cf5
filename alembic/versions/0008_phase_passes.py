"""phase passes: a phase computed set-based, subtree by subtree, resumable

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 22:45:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('phasepass',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('phase_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('runs_down_to', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('finished', sa.Boolean(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'phase_key', 'as_of')
    )
    with op.batch_alter_table('phasepass', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_phasepass_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('phasesubtree',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pass_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['pass_id'], ['phasepass.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('pass_id', 'unit_id')
    )
    with op.batch_alter_table('phasesubtree', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_phasesubtree_pass_id'), ['pass_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_phasesubtree_unit_id'), ['unit_id'], unique=False)

    op.create_table('phaseunitresult',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pass_id', sa.Integer(), nullable=False),
    sa.Column('subtree_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['pass_id'], ['phasepass.id'], ),
    sa.ForeignKeyConstraint(['subtree_id'], ['phasesubtree.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('pass_id', 'unit_id')
    )
    with op.batch_alter_table('phaseunitresult', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_phaseunitresult_pass_id'), ['pass_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_phaseunitresult_subtree_id'), ['subtree_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_phaseunitresult_unit_id'), ['unit_id'], unique=False)


def downgrade() -> None:
    op.drop_table('phaseunitresult')
    op.drop_table('phasesubtree')
    op.drop_table('phasepass')
