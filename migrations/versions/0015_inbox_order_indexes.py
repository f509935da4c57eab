"""inbox order indexes: each status's records in deadline order with ties by id, read whole from the inbox's
indexes; without the id a status whose records have no deadline (a million cases hold 300,000 closed ones) was
sorted whole to find its first fifty

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 08:45:00

"""
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

#: (table, index, columns before, columns after)
INDEXES = (
    ('case', 'ix_case_inbox', ['status', 'next_due_at', 'passed_up_limit', 'proposed_by_id'],
     ['status', 'next_due_at', 'id', 'passed_up_limit', 'proposed_by_id']),
    ('case', 'ix_case_department_inbox', ['department_id', 'status', 'next_due_at'],
     ['department_id', 'status', 'next_due_at', 'id']),
    ('claim', 'ix_claim_inbox', ['status', 'next_due_at', 'passed_up_limit', 'proposed_by_id'],
     ['status', 'next_due_at', 'id', 'passed_up_limit', 'proposed_by_id']),
)


def _replace(after: bool) -> None:
    for table, name, before_columns, after_columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
            batch_op.create_index(name, after_columns if after else before_columns, unique=False)


def upgrade():
    _replace(after=True)


def downgrade():
    _replace(after=False)
