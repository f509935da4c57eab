"""Every form's meta: Chinese messages and the input rules on every field.

:class:`KesuFormMeta` is the one place where text, numbers, dates and choices get their rules: every form
(the admin's generated create/edit forms and their inline rows, the workflow dialogs, the login and password forms,
the saved-filter box) uses it.
"""
from __future__ import annotations

from decimal import Decimal

from flask_admin.babel import Translations as AdminTranslations
from flask_admin.contrib.sqla.fields import QuerySelectField, QuerySelectMultipleField
from flask_admin.model.fields import AjaxSelectField, AjaxSelectMultipleField
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import fields, i18n, validators

from kesu.validators import DateInRange, ExistingChoice, NoControlCharacters, NotBlank, trim_invisible

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
