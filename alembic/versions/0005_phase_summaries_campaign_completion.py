"""phase summaries, campaign completion

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 12:30:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('phasesummary',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('phase_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('lagging_children', sa.JSON(), nullable=False),
    sa.Column('computed_as_of', sa.Date(), nullable=True),
    sa.Column('narrative', sa.Text(), nullable=False),
    sa.Column('narrative_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.ForeignKeyConstraint(['phase_id'], ['phase.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'phase_id', 'unit_id')
    )
    with op.batch_alter_table('phasesummary', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_phasesummary_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_phasesummary_phase_id'), ['phase_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_phasesummary_unit_id'), ['unit_id'], unique=False)

    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('completed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('report_path', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('report_path')
        batch_op.drop_column('completed_on')

    with op.batch_alter_table('phasesummary', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_phasesummary_unit_id'))
        batch_op.drop_index(batch_op.f('ix_phasesummary_phase_id'))
        batch_op.drop_index(batch_op.f('ix_phasesummary_campaign_id'))

    op.drop_table('phasesummary')
