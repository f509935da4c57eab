"""clocks and customer agreement: a case and a claim record which SLA clock their deadline belongs to and when
the status's clock started (the 8D milestones run on from it, a transfer restarts it); a case records when the
customer agreed to the solution apart from their signed confirmation; the regulator's clock is the 12315
platform's 10 working days

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

CLOCKS = ("due_clock IS NULL OR due_clock IN ('first_response', 'containment', 'interim_report', 'final_report', "
          "'internal_check', 'department_reply', 'claim_review', 'claim_investigation', 'regulator_case')")

SLA_RULE = sa.table('sla_rule', sa.column('clock', sa.String), sa.column('tier', sa.String),
                    sa.column('market', sa.String), sa.column('amount', sa.Integer), sa.column('unit', sa.String),
                    sa.column('description', sa.String))
OLD_REGULATOR_RULE = {"amount": 30, "unit": "calendar_days", "description": "监管转办复杂案件：最长 30 日（004）"}
NEW_REGULATOR_RULE = {"amount": 10, "unit": "working_days",
                      "description": "监管转办（12315 平台）：企业 10 个工作日内答复，自收到投诉起算"}


def _set_regulator_rule(old, new):
    """The seeded default rule only: a rule an administrator changed is kept."""
    op.execute(SLA_RULE.update()
               .where(SLA_RULE.c.clock == 'regulator_case', SLA_RULE.c.tier.is_(None), SLA_RULE.c.market.is_(None),
                      SLA_RULE.c.amount == old["amount"], SLA_RULE.c.unit == old["unit"])
               .values(**new))


def upgrade():
    for table in ('case', 'claim'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('due_clock', sa.String(length=30), nullable=True))
            batch_op.add_column(sa.Column('clock_started_at', sa.DateTime(), nullable=True))
            batch_op.create_check_constraint(op.f(f'ck_{table}_due_clock'), CLOCKS)
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('customer_agreed_at', sa.DateTime(), nullable=True))
    _set_regulator_rule(OLD_REGULATOR_RULE, NEW_REGULATOR_RULE)


def downgrade():
    _set_regulator_rule(NEW_REGULATOR_RULE, OLD_REGULATOR_RULE)
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_column('customer_agreed_at')
    for table in ('claim', 'case'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_due_clock'), type_='check')
            batch_op.drop_column('clock_started_at')
            batch_op.drop_column('due_clock')
