"""user sessions: a per-account session token (logout and account changes end every session); usernames
stored normalised

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 13:20:00

"""
import secrets
import unicodedata

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _normalised(name):
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch) not in {"Cf", "Cc"}).strip()


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=64), nullable=True))
    bind = op.get_bind()
    users = sa.table('user', sa.column('id', sa.Integer), sa.column('username', sa.String),
                     sa.column('session_token', sa.String))
    rows = bind.execute(sa.select(users.c.id, users.c.username)).all()
    taken = {username for _id, username in rows}
    for user_id, username in rows:
        values = {"session_token": secrets.token_urlsafe(24)}
        normal = _normalised(username)
        if normal != username and normal and normal not in taken:  # a clash keeps the old spelling
            values["username"] = normal
            taken.add(normal)
        bind.execute(users.update().where(users.c.id == user_id).values(**values))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column('session_token', existing_type=sa.String(length=64), nullable=False)


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_token')
