"""case approvals and the inbox: an approval (or its passing up) belongs to a claim or to a case; a pending proposal
remembers the highest limit of those who passed it up; the inbox's indexes: each status's cases and claims in
deadline order with their approval level, a department's cases by status in deadline order

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 17:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=14, scale=2)


def upgrade():
    with op.batch_alter_table('approval', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_id', sa.Integer(), nullable=True))
        batch_op.alter_column('claim_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f('ix_approval_case_id'), ['case_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_approval_case_id_case'), 'case', ['case_id'], ['id'])
        batch_op.create_check_constraint(batch_op.f('ck_approval_owner'), '(case_id IS NULL) <> (claim_id IS NULL)')
    for table in ('case', 'claim'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('passed_up_limit', MONEY, nullable=True))
            batch_op.create_index(f'ix_{table}_inbox', ['status', 'next_due_at', 'passed_up_limit', 'proposed_by_id'],
                                  unique=False)
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.create_index('ix_case_department_inbox', ['department_id', 'status', 'next_due_at'], unique=False)


def downgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_department_inbox')
    for table in ('claim', 'case'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f'ix_{table}_inbox')
            batch_op.drop_column('passed_up_limit')
    op.execute('DELETE FROM approval WHERE claim_id IS NULL')
    with op.batch_alter_table('approval', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_approval_owner'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_approval_case_id_case'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_approval_case_id'))
        batch_op.alter_column('claim_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('case_id')
