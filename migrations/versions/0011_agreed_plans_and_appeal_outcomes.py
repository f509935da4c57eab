"""what was agreed and decided, recorded where it was: an accountability record's proposer and appeal outcome (and
its revoked status), a claim's agreed payment plan and the reason its verified loss differs from its items, the
day a payment was made

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

STATUSES = "'proposed', 'approved', 'notified', 'appealed', 'executed'"
OUTCOMES = "'upheld', 'changed', 'revoked'"
METHODS = "'cash', 'bank_transfer', 'e_payment'"

#: A payment recorded before this revision was paid on the day it was recorded (Beijing time).
PAID_ON_FROM_PAID_AT = {
    'sqlite': "UPDATE payment SET paid_on = date(paid_at, '+8 hours')",
    'postgresql': "UPDATE payment SET paid_on = CAST(paid_at + INTERVAL '8 hours' AS DATE)",
}


def upgrade():
    with op.batch_alter_table('accountability', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proposed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('appeal_outcome', sa.String(length=20), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_accountability_proposed_by_id_user'), 'user',
                                    ['proposed_by_id'], ['id'])
        batch_op.create_check_constraint(batch_op.f('ck_accountability_appeal_outcome'),
                                         f"appeal_outcome IS NULL OR appeal_outcome IN ({OUTCOMES})")
        batch_op.drop_constraint(batch_op.f('ck_accountability_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_accountability_status'),
                                         f"status IN ({STATUSES}, 'revoked')")

    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verified_loss_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('agreed_payment_method', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('instalments', sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column('payment_plan', sa.Text(), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_claim_agreed_payment_method'),
                                         f"agreed_payment_method IS NULL OR agreed_payment_method IN ({METHODS})")
        batch_op.create_check_constraint(batch_op.f('ck_claim_instalments'),
                                         "instalments IS NULL OR instalments BETWEEN 1 AND 12")

    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paid_on', sa.Date(), nullable=True))
    op.execute(PAID_ON_FROM_PAID_AT[op.get_bind().dialect.name])
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.alter_column('paid_on', existing_type=sa.Date(), nullable=False)
        batch_op.create_index(batch_op.f('ix_payment_paid_on'), ['paid_on'], unique=False)


def downgrade():
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_paid_on'))
        batch_op.drop_column('paid_on')

    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_claim_instalments'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_claim_agreed_payment_method'), type_='check')
        batch_op.drop_column('payment_plan')
        batch_op.drop_column('instalments')
        batch_op.drop_column('agreed_payment_method')
        batch_op.drop_column('verified_loss_reason')

    op.execute("UPDATE accountability SET status = 'executed' WHERE status = 'revoked'")
    with op.batch_alter_table('accountability', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_accountability_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_accountability_status'), f"status IN ({STATUSES})")
        batch_op.drop_constraint(batch_op.f('ck_accountability_appeal_outcome'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_accountability_proposed_by_id_user'), type_='foreignkey')
        batch_op.drop_column('appeal_outcome')
        batch_op.drop_column('proposed_by_id')
