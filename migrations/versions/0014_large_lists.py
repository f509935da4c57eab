"""large lists: the case list's order (newest first, ties by id) read from one index, so a deep page steps over
index entries only; and on PostgreSQL trigram search: the list's search box matches any part of a case number,
title, product, lot number or customer name (LIKE '%…%'), which no b-tree index serves; pg_trgm's GIN indexes
do, so a search of a million cases reads the matching rows only. SQLite has no such index and needs none at its
sizes.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 08:00:00

"""
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_case_case_no_trgm', 'case', 'case_no'),
    ('ix_case_title_trgm', 'case', 'title'),
    ('ix_case_product_trgm', 'case', 'product'),
    ('ix_case_lot_no_trgm', 'case', 'lot_no'),
    ('ix_customer_name_trgm', 'customer', 'name'),
)


def upgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_received_at')
        batch_op.create_index('ix_case_received_at_id', ['received_at', 'id'], unique=False)
    if op.get_bind().dialect.name != 'postgresql':
        return
    # Built concurrently, outside a transaction: on a live table of a million cases a plain build would hold
    # every writer for the minute it takes.
    with op.get_context().autocommit_block():
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        for name, table, column in INDEXES:
            op.create_index(name, table, [column], postgresql_using='gin', postgresql_ops={column: 'gin_trgm_ops'},
                            postgresql_concurrently=True)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for name, table, _column in reversed(INDEXES):
            op.drop_index(name, table_name=table)
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_received_at_id')
        batch_op.create_index('ix_case_received_at', ['received_at'], unique=False)
