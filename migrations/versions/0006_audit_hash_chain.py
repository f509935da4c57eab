"""audit trail hash chain: prev_hash and hash on every event, existing events chained in id order

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 23:05:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
    "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
)


def _chain_existing_events() -> None:
    """Hash the events written before the chain existed, with the append-only triggers lifted meanwhile."""
    from kesu.audit import CONTENT_FIELDS, GENESIS, chain_hash
    from kesu.models.base import UTCDateTime

    bind = op.get_bind()
    dialect = bind.dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
    elif dialect == "postgresql":
        op.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update_or_delete")
    events = sa.table("audit_event", sa.column("id", sa.Integer), sa.column("prev_hash", sa.String),
                      sa.column("hash", sa.String), sa.column("at", UTCDateTime), sa.column("changes", sa.JSON),
                      *(sa.column(name) for name in CONTENT_FIELDS if name not in ("at", "changes")))
    prev = GENESIS
    for row in bind.execute(sa.select(events).order_by(events.c.id)).mappings().all():
        digest = chain_hash(prev, dict(row))
        bind.execute(events.update().where(events.c.id == row["id"]).values(prev_hash=prev, hash=digest))
        prev = digest
    if dialect == "sqlite":
        op.execute(SQLITE_TRIGGERS[0])
    elif dialect == "postgresql":
        op.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update_or_delete")


def upgrade():
    # Plain ADD COLUMN (no batch copy): SQLite keeps the table and so its append-only triggers.
    op.add_column('audit_event', sa.Column('prev_hash', sa.String(length=64), nullable=True))
    op.add_column('audit_event', sa.Column('hash', sa.String(length=64), nullable=True))
    _chain_existing_events()


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
    if op.get_bind().dialect.name == "sqlite":  # the batch copy dropped the triggers
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
