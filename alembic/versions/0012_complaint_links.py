"""complaints about a unit, and the same matter by two channels

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 09:00:00
"""

import re

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

_LINK_STATUS = sa.Enum('proposed', 'confirmed', 'rejected', name='linkstatus')
# Values appended to the vocabularies PostgreSQL keeps as enum types (SQLite stores text).
_NEW_VALUES = {
    'casestatus': ('merged',),
    'crosscheckresult': ('unit_complaint',),
    'auditaction': ('link_proposed', 'link_confirmed', 'link_rejected', 'case_merged'),
}
_FK_SAME_MATTER = 'fk_complaint_same_matter_of_id_complaint'
_FK_ACCUSED_UNIT = 'fk_verificationcase_accused_unit_id_unit'
_FK_MERGED_INTO = 'fk_verificationcase_merged_into_id_verificationcase'
_IX_SAME_MATTER = 'ix_complaint_same_matter_of_id'
_IX_ACCUSED_UNIT = 'ix_verificationcase_accused_unit_id'
_NOT_NULL_CADRE = re.compile(r'\bcadre_id INTEGER NOT NULL\b')
_NULL_CADRE = re.compile(r'\bcadre_id INTEGER(?! NOT NULL)\b')


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for enum, values in _NEW_VALUES.items():
            for value in values:
                op.execute(f"ALTER TYPE {enum} ADD VALUE IF NOT EXISTS '{value}'")

    # Two complaints proposed as one matter, and what a person decided.
    op.create_table('complaintlink',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('other_id', sa.Integer(), nullable=False),
    sa.Column('status', _LINK_STATUS, nullable=False),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.CheckConstraint('complaint_id < other_id', name='ck_complaintlink_ordered'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], ),
    sa.ForeignKeyConstraint(['other_id'], ['complaint.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('complaint_id', 'other_id')
    )
    with op.batch_alter_table('complaintlink', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaintlink_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaintlink_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaintlink_other_id'), ['other_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaintlink_status'), ['status'], unique=False)

    # Plain ADD COLUMNs, never a batch copy: on SQLite a copy drops and renames the table,
    # which foreign keys from existing rows (audit events, cases) refuse.
    _add_reference('complaint', 'same_matter_of_id', 'complaint', _FK_SAME_MATTER)
    op.create_index(_IX_SAME_MATTER, 'complaint', ['same_matter_of_id'], unique=False)
    _add_reference('verificationcase', 'accused_unit_id', 'unit', _FK_ACCUSED_UNIT)
    op.create_index(_IX_ACCUSED_UNIT, 'verificationcase', ['accused_unit_id'], unique=False)
    _add_reference('verificationcase', 'merged_into_id', 'verificationcase', _FK_MERGED_INTO)
    # A case about a unit as a whole has no cadre.
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_cadre_nullable(nullable=True)
    else:
        op.alter_column('verificationcase', 'cadre_id', existing_type=sa.Integer(), nullable=True)


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


def _sqlite_cadre_nullable(*, nullable: bool) -> None:
    """Drop (or restore) NOT NULL on ``verificationcase.cadre_id`` in place, on SQLite.

    SQLite has no ALTER COLUMN, and a table copy (Alembic's batch mode) must drop the table,
    which the audit trail's foreign keys refuse once there are cases. SQLite documents this
    procedure for removing a NOT NULL constraint: the stored CREATE TABLE statement is edited
    and the schema version moved on, without touching a row
    (https://www.sqlite.org/lang_altertable.html#otheralter).
    """
    connection = op.get_bind()
    sql = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'verificationcase'"
    ).scalar_one()
    pattern, after = (
        (_NOT_NULL_CADRE, 'cadre_id INTEGER') if nullable else (_NULL_CADRE, 'cadre_id INTEGER NOT NULL')
    )
    edited, found = pattern.subn(after, sql)
    if found != 1:
        raise RuntimeError(
            'verificationcase.cadre_id is not declared as these migrations declare it in this '
            'SQLite database: its NOT NULL cannot be changed in place'
        )
    version = connection.exec_driver_sql('PRAGMA schema_version').scalar_one()
    connection.exec_driver_sql('PRAGMA writable_schema = ON')
    try:
        connection.exec_driver_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'verificationcase'",
            (edited,),
        )
        connection.exec_driver_sql(f'PRAGMA schema_version = {int(version) + 1}')
    finally:
        connection.exec_driver_sql('PRAGMA writable_schema = OFF')
    # Only the edited table is checked: a whole-file check reads every page of the database.
    check = connection.exec_driver_sql('PRAGMA quick_check(verificationcase)').scalars().all()
    if check != ['ok']:
        raise RuntimeError(f'SQLite integrity check failed after editing verificationcase: {check}')


def downgrade() -> None:
    connection = op.get_bind()
    unit_cases = connection.exec_driver_sql(
        'SELECT count(*) FROM verificationcase WHERE cadre_id IS NULL'
    ).scalar_one()
    if unit_cases:
        raise RuntimeError(
            f'{unit_cases} verification case(s) about a unit have no cadre: revision 0011 '
            'cannot hold them (close and remove them first)'
        )
    if connection.dialect.name == 'sqlite':
        _sqlite_cadre_nullable(nullable=False)
    else:
        op.alter_column('verificationcase', 'cadre_id', existing_type=sa.Integer(), nullable=False)
    op.drop_index(_IX_ACCUSED_UNIT, table_name='verificationcase')
    op.drop_index(_IX_SAME_MATTER, table_name='complaint')
    with op.batch_alter_table('verificationcase', schema=None) as batch_op:
        if connection.dialect.name != 'sqlite':  # SQLite's copy leaves them with their columns
            batch_op.drop_constraint(_FK_MERGED_INTO, type_='foreignkey')
            batch_op.drop_constraint(_FK_ACCUSED_UNIT, type_='foreignkey')
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('accused_unit_id')
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        if connection.dialect.name != 'sqlite':
            batch_op.drop_constraint(_FK_SAME_MATTER, type_='foreignkey')
        batch_op.drop_column('same_matter_of_id')

    with op.batch_alter_table('complaintlink', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaintlink_status'))
        batch_op.drop_index(batch_op.f('ix_complaintlink_other_id'))
        batch_op.drop_index(batch_op.f('ix_complaintlink_complaint_id'))
        batch_op.drop_index(batch_op.f('ix_complaintlink_campaign_id'))
    op.drop_table('complaintlink')
    _LINK_STATUS.drop(connection, checkfirst=True)
    # PostgreSQL cannot drop a value from an enum type: the values appended above stay,
    # unused, and upgrading again adds nothing (ADD VALUE IF NOT EXISTS).
