"""How Flask-Admin builds our forms: Chinese messages, local-time fields, money, and validators on every field."""
from __future__ import annotations

from datetime import datetime

from flask_admin.babel import Translations as AdminTranslations
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.form import BaseForm, DateTimeField
from flask_admin.model.form import converts
from flask_babel import get_locale
from flask_babel.speaklater import LazyString
from flask_babel import lazy_gettext as _l
from wtforms import fields, i18n
from wtforms.fields import HiddenField

from kesu.timeutil import local_to_utc, to_local
from kesu.validators import MoneyAmount, NoControlCharacters

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


class KesuBaseForm(BaseForm):
    class Meta:
        _translations = FormTranslations()

        def get_translations(self, form):
            return self._translations

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
        for fmt in (*self.format, "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M"):
            try:
                self.data = local_to_utc(datetime.strptime(text, fmt))
                return
            except ValueError:
                continue
        self.data = None
        raise ValueError(self.gettext("日期时间格式应为 2026-11-23 09:30"))


class VersionField(HiddenField):
    """Carries the record version the user started from; compared on save, never written to the record."""

    def populate_obj(self, obj, name) -> None:
        return None


class KesuModelConverter(AdminModelConverter):
    def _string_common(self, column, field_args, **extra):  # type: ignore[override]
        field_args["validators"].append(NoControlCharacters())
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
