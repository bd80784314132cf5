"""checked delivery, digests in parts, the board picture, mail intake

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 05:06:27
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

_FORMAT = sa.Enum('text', 'markdown', 'image', name='messageformat')
_FK_IMAGE = 'fk_outboxmessage_image_id_boardimage'
_FK_UNIT = 'fk_outboxmessage_unit_id_unit'
_IX_TOKEN = 'ix_unit_reply_token'


def upgrade() -> None:
    # The daily 督办榜 picture of a unit's subtree, and its expiring link.
    op.create_table('boardimage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('sweep_on', sa.Date(), nullable=False),
    sa.Column('png', sa.LargeBinary(), nullable=False),
    sa.Column('md5', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'unit_id', 'sweep_on'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('boardimage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_boardimage_campaign_id'), ['campaign_id'], unique=False)

    # Mail read from the intake mailbox, once per Message-ID.
    op.create_table('intakemail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(length=998), nullable=False),
    sa.Column('mailbox_uid', sa.Integer(), nullable=True),
    sa.Column('uid_validity', sa.Integer(), nullable=True),
    sa.Column('sender', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('identified_by', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('status', sa.Enum('received', 'imported', 'rejected', 'quarantined', name='intakestatus'), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('receipt_code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('quarantine_file', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('reply_message_id', sa.Integer(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['reply_message_id'], ['outboxmessage.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('message_key')
    )
    with op.batch_alter_table('intakemail', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intakemail_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_intakemail_unit_id'), ['unit_id'], unique=False)

    # Every message written before is one whole plain-text digest.
    _FORMAT.create(op.get_bind(), checkfirst=True)
    # Plain ADD COLUMNs, never a batch copy: on SQLite a copy drops and
    # renames the table, which foreign keys from existing rows refuse.
    op.add_column('outboxmessage', sa.Column('format', _FORMAT, server_default='text', nullable=False))
    op.add_column('outboxmessage', sa.Column('part', sa.Integer(), server_default='1', nullable=False))
    op.add_column('outboxmessage', sa.Column('parts', sa.Integer(), server_default='1', nullable=False))
    op.add_column('outboxmessage', sa.Column('mentions', sa.JSON(), nullable=True))
    op.add_column('outboxmessage', sa.Column('reply_to', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True))
    _add_reference('outboxmessage', 'image_id', 'boardimage', _FK_IMAGE)
    _add_reference('outboxmessage', 'unit_id', 'unit', _FK_UNIT)

    op.add_column('unit', sa.Column('office_mobile', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
    op.add_column('unit', sa.Column('head_mobile', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
    op.add_column('unit', sa.Column('reply_token', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    op.create_index(_IX_TOKEN, 'unit', ['reply_token'], unique=True)


def _add_reference(table: str, column: str, target: str, name: str) -> None:
    """A nullable integer column referencing ``target.id``, added in place."""
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a column with its REFERENCES clause, but no constraint afterwards.
        op.execute(
            f'ALTER TABLE {table} ADD COLUMN {column} INTEGER '
            f'CONSTRAINT {name} REFERENCES {target} (id)'
        )
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(name, table, target, [column], ['id'])


def downgrade() -> None:
    op.drop_index(_IX_TOKEN, table_name='unit')
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_column('reply_token')
        batch_op.drop_column('head_mobile')
        batch_op.drop_column('office_mobile')

    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        if op.get_bind().dialect.name != 'sqlite':  # SQLite's copy leaves them with their columns
            batch_op.drop_constraint(_FK_UNIT, type_='foreignkey')
            batch_op.drop_constraint(_FK_IMAGE, type_='foreignkey')
        batch_op.drop_column('unit_id')
        batch_op.drop_column('reply_to')
        batch_op.drop_column('image_id')
        batch_op.drop_column('mentions')
        batch_op.drop_column('parts')
        batch_op.drop_column('part')
        batch_op.drop_column('format')
    _FORMAT.drop(op.get_bind(), checkfirst=True)

    with op.batch_alter_table('intakemail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intakemail_unit_id'))
        batch_op.drop_index(batch_op.f('ix_intakemail_status'))

    op.drop_table('intakemail')
    sa.Enum(name='intakestatus').drop(op.get_bind(), checkfirst=True)
    with op.batch_alter_table('boardimage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_boardimage_campaign_id'))

    op.drop_table('boardimage')
