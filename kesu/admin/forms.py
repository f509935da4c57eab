"""How the admin's forms are built: local-time fields, money, and what only a column knows.

Every field's input rules come from :class:`forms.meta.KesuFormMeta`; :class:`KesuModelConverter` adds what only
the column knows: its numeric limits and whether it holds a phone number.
"""
from __future__ import annotations

from datetime import datetime

from flask_admin.contrib.sqla.form import AdminModelConverter, InlineModelConverter
from flask_admin.form import BaseForm, DateTimeField
from flask_admin.model.form import converts
from flask_babel.speaklater import LazyString
from flask_babel import lazy_gettext as _l
from wtforms import fields
from wtforms.fields import HiddenField

from forms.meta import KesuFormMeta
from kesu.timeutil import local_to_utc, to_local
from kesu.validators import ColumnRange, MoneyAmount, Phone, date_range_message, in_date_range


class KesuBaseForm(BaseForm):
    class Meta(KesuFormMeta):
        pass

    def validate(self, extra_validators=None) -> bool:
        """Flask-Admin's templates show only ``str`` errors; our messages are lazy, so render them now."""
        valid = super().validate(extra_validators)
        for field in self._fields.values():
            if field.errors and any(isinstance(e, LazyString) for e in field.errors):
                field.errors = [str(e) if isinstance(e, LazyString) else e for e in field.errors]
        return valid


class LocalDateTimeField(DateTimeField):
    """Typed and shown in Asia/Shanghai wall-clock time; ``data`` is always aware UTC."""

    def __init__(self, label=None, validators=None, format=None, **kwargs):
        super().__init__(label, validators, format or "%Y-%m-%d %H:%M", **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        return to_local(self.data).strftime(self.format[0]) if self.data else ""

    def process_formdata(self, valuelist) -> None:
        if not valuelist or not " ".join(valuelist).strip():
            self.data = None
            return
        text = " ".join(valuelist).strip()
        self.data = None
        for fmt in (*self.format, "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M"):
            try:
                local = datetime.strptime(text, fmt)
            except ValueError:
                continue
            if not in_date_range(local):  # year 1 or 9999 would overflow on the way to UTC
                raise ValueError(str(date_range_message()))
            self.data = local_to_utc(local)
            return
        raise ValueError(self.gettext("日期时间格式应为 2026-11-23 09:30"))


class VersionField(HiddenField):
    """Carries the record version the user started from; compared on save, never written to the record."""

    def populate_obj(self, obj, name) -> None:
        return None


class KesuModelConverter(AdminModelConverter):
    """Numbers limited to what their column stores; columns marked ``info={"kind": "phone"}`` checked and
    normalised as phone numbers."""

    def _string_common(self, column, field_args, **extra):  # type: ignore[override]
        if column.info.get("kind") == "phone":
            field_args["validators"].append(Phone())
        super()._string_common(column, field_args, **extra)

    @converts("UTCDateTime")
    def conv_utc_datetime(self, field_args, **extra):
        return LocalDateTimeField(**field_args)

    @converts("Money")
    def conv_money(self, field_args, **extra):
        field_args["validators"].append(MoneyAmount())
        field_args.setdefault("places", 2)
        field_args.setdefault("description", _l("人民币元，最多两位小数"))
        return fields.DecimalField(**field_args)

    @converts("Integer")  # the parent's method names: converters are looked up by name, the last one wins
    def handle_integer_types(self, column, field_args, **extra):
        field_args["validators"].append(ColumnRange(column.type))
        return super().handle_integer_types(column=column, field_args=field_args, **extra)

    @converts("Numeric")
    def handle_decimal_types(self, column, field_args, **extra):
        field_args["validators"].append(ColumnRange(column.type))
        return super().handle_decimal_types(column=column, field_args=field_args, **extra)


class KesuInlineModelConverter(InlineModelConverter):
    """Inline rows (goods on hold in a case, loss items in a claim) get the same rules as their own forms."""

    def get_info(self, p):
        info = super().get_info(p)
        if getattr(info, "form_base_class", None) is None:
            info.form_base_class = KesuBaseForm
        return info
