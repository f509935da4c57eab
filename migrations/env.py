"""Alembic environment for Flask-Migrate: the app's engine and metadata, batch mode for SQLite."""
import contextlib
import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy.types import TypeDecorator

from kesu.models.base import declared_for

config = context.config
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db
config.set_main_option("sqlalchemy.url", target_db.engine.url.render_as_string(hide_password=False).replace("%", "%%"))


def get_metadata():
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


def render_item(type_, obj, autogen_context):
    """Write our column types (UTCDateTime, Money) as the plain database types they store."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return "sa." + repr(obj.impl)
    return False


def run_migrations_offline():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=get_metadata(),
                      literal_binds=True, render_item=render_item)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args.setdefault("render_item", render_item)

    with target_db.engine.connect() as connection, foreign_keys_off_on_sqlite(connection):
        conf_args.setdefault("include_object", declared_for(connection.dialect.name))
        context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)
        with context.begin_transaction():
            context.run_migrations()
            refuse_dangling_references(connection)


@contextlib.contextmanager
def foreign_keys_off_on_sqlite(connection):
    """Batch mode rebuilds a SQLite table by copying it and dropping the old one, which SQLite refuses while
    other rows refer to it (payments to their claim) and foreign keys are enforced. They are off while the
    migrations run (set outside any transaction, where SQLite honours the pragma) and on again after."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.driver_connection
    raw.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys = ON")


def refuse_dangling_references(connection):
    """With foreign keys off, a migration could leave a row pointing nowhere: then it is rolled back."""
    if connection.dialect.name == "sqlite":
        dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if dangling:
            raise RuntimeError(f"migration left rows referring to missing rows: {dangling[:10]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
