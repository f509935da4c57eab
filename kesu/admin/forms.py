"""How every form is built: Chinese messages, local-time fields, money, and the input rules on every field.

:class:`KesuFormMeta` is the one place where text, numbers, dates and choices get their rules: every form
(the admin's generated create/edit forms and their inline rows, the workflow dialogs, the login form, the
saved-filter box) uses it. :class:`KesuModelConverter` adds what only the column knows: its numeric limits
and whether it holds a phone number.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_admin.babel import Translations as AdminTranslations
from flask_admin.contrib.sqla.fields import QuerySelectField, QuerySelectMultipleField
from flask_admin.contrib.sqla.form import AdminModelConverter, InlineModelConverter
from flask_admin.form import BaseForm, DateTimeField
from flask_admin.model.fields import AjaxSelectField, AjaxSelectMultipleField
from flask_admin.model.form import converts
from flask_babel import get_locale
from flask_babel.speaklater import LazyString
from flask_babel import lazy_gettext as _l
from wtforms import fields, i18n, validators
from wtforms.fields import HiddenField

from kesu.timeutil import local_to_utc, to_local
from kesu.validators import (
    ColumnRange,
    DateInRange,
    ExistingChoice,
    MoneyAmount,
    NoControlCharacters,
    NotBlank,
    Phone,
    date_range_message,
    in_date_range,
    trim_invisible,
)

_admin_translations = AdminTranslations()


class FormTranslations:
    """Flask-Admin's catalogue first, then WTForms' own (which holds "This field is required.")."""

    def _wtforms(self):
        locale = get_locale()
        language = locale.language if locale else "en"
        return i18n.get_translations([language]) if language != "en" else None

    def gettext(self, string: str) -> str:
        translated = _admin_translations.gettext(string)
        if translated != string:
            return translated
        catalogue = self._wtforms()
        return catalogue.gettext(string) if catalogue else string

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        translated = _admin_translations.ngettext(singular, plural, n)
        if translated not in (singular, plural):
            return translated
        catalogue = self._wtforms()
        return catalogue.ngettext(singular, plural, n) if catalogue else translated


class FiniteNumber:
    """NaN, sNaN and ±Infinity parse as decimals but are no amount; refused before any other rule compares them."""

    def __call__(self, form, field) -> None:
        if isinstance(field.data, Decimal) and not field.data.is_finite():
            field.errors[:] = []
            raise validators.StopValidation(_l("请填写一个有效的数字。"))


class BlankIsEmpty(validators.Optional):
    """``Optional`` that also takes invisible characters (zero-width space, bidi marks) for nothing typed."""

    def __init__(self) -> None:
        super().__init__()
        self.string_check = trim_invisible


REQUIRED = (validators.InputRequired, validators.DataRequired)


def harden(field: fields.Field) -> None:
    """Give a bound field the rules every field of its kind gets (see the module's docstring).

    Text: surrounding white space and invisible characters trimmed (passwords are taken as typed), control
    characters other than tab, CR and LF refused, and when required, a value that is empty once trimmed
    refused. Decimals: only finite numbers. Dates: within :data:`kesu.validators.FIRST_DATE`–``LAST_DATE``.
    Record choices: an id that is not there (or not visible) is a field error, never a silent blank."""
    chain = [BlankIsEmpty() if type(rule) is validators.Optional else rule for rule in field.validators]
    if isinstance(field, fields.StringField):
        if not isinstance(field, fields.PasswordField):
            field.filters = (trim_invisible, *field.filters)
        chain.insert(0, NoControlCharacters())  # first: a NUL must not reach a uniqueness query
        if field.flags.required:
            last_required = max((i for i, rule in enumerate(chain) if isinstance(rule, REQUIRED)), default=-1)
            chain.insert(last_required + 1, NotBlank())
    elif isinstance(field, fields.DecimalField):
        chain.insert(0, FiniteNumber())
    elif isinstance(field, (fields.DateField, fields.DateTimeField)):
        chain.append(DateInRange())
    elif isinstance(field, (QuerySelectField, AjaxSelectField)) and not isinstance(
            field, (QuerySelectMultipleField, AjaxSelectMultipleField)):
        chain.insert(0, ExistingChoice())
    field.validators = chain


class KesuFormMeta:
    """Meta of every form: Flask-Admin's and WTForms' Chinese messages, and :func:`harden` on each field."""

    _translations = FormTranslations()

    def get_translations(self, form):
        return self._translations

    def bind_field(self, form, unbound_field, options):
        field = super().bind_field(form, unbound_field, options)
        harden(field)
        return field


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
