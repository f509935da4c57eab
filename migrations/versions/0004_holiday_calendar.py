"""holiday calendar: the days that differ from Monday–Friday (public holidays, 调休 working weekends);
claim.escalation_level for overdue claims

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 16:17:13.315450

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('holiday',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('is_working_day', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("source IN ('chinesecalendar', 'admin')", name=op.f('ck_holiday_source')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holiday')),
    sa.UniqueConstraint('day', name=op.f('uq_holiday_day'))
    )
    with op.batch_alter_table('holiday', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_holiday_created_at'), ['created_at'], unique=False)
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.add_column(sa.Column('escalation_level', sa.SmallInteger(), server_default='0', nullable=False))



def downgrade():
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.drop_column('escalation_level')
    with op.batch_alter_table('holiday', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_holiday_created_at'))

    op.drop_table('holiday')
