"""The password policy, checked wherever a password is set (the user form, the own-password page, create-user)."""
from __future__ import annotations

from flask import current_app, has_app_context
from flask_babel import gettext as _
from zxcvbn import zxcvbn

#: zxcvbn scores 0–4; below 3 a password is a common one, a word with digits, a keyboard walk or a date.
MIN_STRENGTH = 3
#: zxcvbn's work grows with length; past this the extra characters only make it stronger.
CHECKED_CHARACTERS = 64


def min_length() -> int:
    return int(current_app.config["PASSWORD_MIN_LENGTH"]) if has_app_context() else 10


def password_problem(password: str, username: str = "", full_name: str = "") -> str | None:
    """Why ``password`` may not be used by this account, in the UI language, or None."""
    if len(password) < min_length():
        return _("密码至少 %(n)s 位。", n=min_length())
    if len(password) > 200:
        return _("密码不能超过 200 位。")
    lowered = password.casefold()
    if username and username.casefold() in lowered:
        return _("密码不能包含用户名。")
    inputs = [value for value in (username, full_name) if value]
    if zxcvbn(password[:CHECKED_CHARACTERS], user_inputs=inputs)["score"] < MIN_STRENGTH:
        return _("密码太容易被猜到（常见密码、键盘顺序、单词加数字或日期等），请换一个更长、更无规律的密码。")
    return None
