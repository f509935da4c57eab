"""saved filters: a user's named filter sets per list

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 04:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('saved_filter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('list_endpoint', sa.String(length=50), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('search', sa.String(length=200), nullable=True),
    sa.Column('sort_column', sa.String(length=60), nullable=True),
    sa.Column('sort_desc', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_saved_filter_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_filter')),
    sa.UniqueConstraint('user_id', 'list_endpoint', 'name', name='uq_saved_filter_user_list_name')
    )
    with op.batch_alter_table('saved_filter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_filter_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_saved_filter_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('saved_filter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_filter_user_id'))
        batch_op.drop_index(batch_op.f('ix_saved_filter_created_at'))

    op.drop_table('saved_filter')
