"""document templates kept in their row (content, size, note); the register names its record's number

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 21:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('document_template', schema=None) as batch_op:
        batch_op.drop_constraint('uq_document_template_stored_name', type_='unique')
        batch_op.drop_column('stored_name')
        batch_op.add_column(sa.Column('content', sa.LargeBinary(), nullable=False))
        batch_op.add_column(sa.Column('size', sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column('note', sa.String(length=200), nullable=True))
    op.create_index('uq_document_template_active_type', 'document_template', ['doc_type'], unique=True,
                    sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))
    with op.batch_alter_table('generated_document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('record_no', sa.String(length=20), nullable=False))
        batch_op.create_index(batch_op.f('ix_generated_document_record_no'), ['record_no'], unique=False)


def downgrade():
    op.drop_index('uq_document_template_active_type', table_name='document_template')
    with op.batch_alter_table('generated_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_generated_document_record_no'))
        batch_op.drop_column('record_no')
    with op.batch_alter_table('document_template', schema=None) as batch_op:
        batch_op.drop_column('note')
        batch_op.drop_column('size')
        batch_op.drop_column('content')
        batch_op.add_column(sa.Column('stored_name', sa.String(length=100), nullable=False))
        batch_op.create_unique_constraint('uq_document_template_stored_name', ['stored_name'])
