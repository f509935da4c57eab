"""Filters on a foreign key offered as a drop-down of names, and on a related record's department."""
from __future__ import annotations

from collections.abc import Callable

from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, select

from kesu.extensions import db
from kesu.validators import is_id_of

ID_TYPE = Integer()


def is_record_id(value: str) -> bool:
    """An id any kesu table can hold: every id column is ``INTEGER`` (see :func:`kesu.validators.is_id_of`)."""
    return is_id_of(value, ID_TYPE)


class LiveOptions:
    """Drop-down options read from the database each time the filter is shown.

    Flask-Admin evaluates callable options once, at start-up; an iterable is read on every request,
    so a department added today appears in today's filter.
    """

    def __init__(self, model: type, label: Callable = str, where=None) -> None:
        self.model, self.label, self.where = model, label, where

    def __bool__(self) -> bool:
        return True

    def __iter__(self):
        query = select(self.model).order_by(self.model.id)
        if self.where is not None:
            query = query.where(self.where)
        return iter([(str(row.id), self.label(row)) for row in db.session.scalars(query)])


class ForeignKeyEqual(BaseSQLAFilter):
    """``department_id = ?`` chosen from a list of department names."""

    def __init__(self, column, name: str, model: type, where=None) -> None:
        super().__init__(column, name, options=LiveOptions(model, where=where))

    def clean(self, value: str) -> int:
        return int(value)

    def validate(self, value: str) -> bool:
        return is_record_id(value)

    def apply(self, query, value, alias=None):
        return query.filter(self.get_column(alias) == value)

    def operation(self):
        return _l("等于")


class CaseDepartmentEqual(BaseSQLAFilter):
    """Records hanging off a case (claims, contact logs), filtered by the case's responsible department."""

    def __init__(self, case_id_column, name: str) -> None:
        from kesu.models import Department

        super().__init__(case_id_column, name, options=LiveOptions(Department))

    def clean(self, value: str) -> int:
        return int(value)

    def validate(self, value: str) -> bool:
        return is_record_id(value)

    def apply(self, query, value, alias=None):
        from kesu.models import Case

        return query.filter(self.column.in_(select(Case.id).where(Case.department_id == value)))

    def operation(self):
        return _l("等于")
