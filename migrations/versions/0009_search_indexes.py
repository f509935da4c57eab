"""search indexes: a case's lot, part and model numbers, found by their beginning from the top bar's search box;
its title with its department, whose words are read from this narrow index rather than the wide table; a
department's customers (a handler's scope of customers)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 13:50:00

"""
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_case_lot_no', ['lot_no']),
    ('ix_case_part_no', ['part_no']),
    ('ix_case_model_no', ['model_no']),
    ('ix_case_title_department_id', ['title', 'department_id']),
    ('ix_case_department_id_customer_id', ['department_id', 'customer_id']),
)


def upgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        for name, columns in INDEXES:
            batch_op.create_index(name, columns, unique=False)


def downgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        for name, _columns in reversed(INDEXES):
            batch_op.drop_index(name)
