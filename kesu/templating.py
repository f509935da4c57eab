"""Helpers every template may use: labels of stored keys, money, local time, permissions, language."""
from __future__ import annotations

from flask import Flask, current_app
from flask_babel import get_locale
from flask_login import current_user

from kesu import choices, models, policy, sla
from kesu.admin.formatters import list_cell, money
from kesu.admin.home import waiting_count
from kesu.timeutil import format_local, utcnow

LABEL_SETS = {
    "channel": choices.CHANNEL,
    "direction": choices.CONTACT_DIRECTION,
    "location": choices.HOLD_LOCATION,
    "claim_status": choices.CLAIM_STATUS,
    "approval_kind": choices.APPROVAL_KIND,
    "approval_decision": choices.APPROVAL_DECISION,
    "payment_method": choices.PAYMENT_METHOD,
}


def _current_language() -> str:
    locale = get_locale()
    return "zh_Hans_CN" if locale is None or locale.language == "zh" else str(locale)


def html_lang(code: str) -> str:
    """A language of ``LANGUAGES`` as HTML's ``lang`` writes it (BCP 47): ``zh_Hans_CN`` → ``zh-CN``, so browsers
    pick Simplified Chinese glyphs and screen readers the right voice; ``en`` → ``en``."""
    return "zh-CN" if code.startswith("zh") else code.split("_")[0]


def register(app: Flask) -> None:
    app.add_template_filter(list_cell)

    @app.context_processor
    def kesu_helpers():
        return {
            "label": lambda kind, key: LABEL_SETS[kind].label(key),
            "role_label": choices.ROLE.label,
            "document_label": choices.DOCUMENT_TYPE.label,
            "money": money,
            "local_time": format_local,
            "now_utc": utcnow,
            "calendar_warning": sla.record_calendar_warning,
            "options": lambda kind: LABEL_SETS[kind].pairs(),
            "user_can": lambda operation, model_name: policy.may(current_user, operation, getattr(models, model_name)),
            "languages": current_app.config["LANGUAGES"],
            "current_language": _current_language(),
            "html_lang": html_lang,
            "waiting_count": waiting_count,
        }
