"""Usernames: one spelling per person, and no account that looks like another.

A username is stored normalised (NFKC, case-folded, without surrounding or invisible characters), so ``Kefu``,
``ｋｅｆｕ`` and ``kefu `` log in to the same account. A new name is refused when it *looks like* an existing one:
both are reduced to a skeleton, each character replaced by the smallest character Unicode's confusables list
(``confusable_homoglyphs``) says it can be mistaken for, so the Cyrillic ``кеfu`` or ``adm1n`` next to ``admin``
cannot pose as a colleague in the audit trail.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from confusable_homoglyphs.confusables import confusables_data
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

MIN_LENGTH, MAX_LENGTH = 2, 50
#: Letters of any script, digits, and . _ - @ inside the name.
ALLOWED = re.compile(r"^[^\W_][\w.@-]*$")
INVISIBLE = {"Cf", "Cc", "Zs", "Zl", "Zp"}


def normalise_username(text: str) -> str:
    """NFKC, case-folded, invisible characters (zero-width, bidi controls, odd spaces) removed, trimmed."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch) not in INVISIBLE or ch == " ").strip()


@lru_cache(maxsize=4096)
def _representative(ch: str) -> str:
    look_alikes = [entry["c"] for entry in confusables_data.get(ch, ()) if len(entry["c"]) == 1]
    return min([ch, *look_alikes])


def skeleton(username: str) -> str:
    """The form two names share when a reader could mistake one for the other (``аdmin`` ≈ ``admin``)."""
    return "".join(_representative(ch) for ch in normalise_username(username))


def username_problem(session: Session, username: str, *, exclude_id: int | None = None) -> str | None:
    """Why ``username`` (already normalised) cannot name a new or renamed account, or None."""
    from kesu.models import User

    if not MIN_LENGTH <= len(username) <= MAX_LENGTH:
        return _("用户名长度应为 %(min)s–%(max)s 个字符。", min=MIN_LENGTH, max=MAX_LENGTH)
    if not ALLOWED.match(username):
        return _("用户名只能包含文字、数字和 . _ - @，并以文字或数字开头。")
    wanted = skeleton(username)
    others = session.execute(select(User.id, User.username)).all()
    for other_id, other in others:
        if other_id == exclude_id:
            continue
        if other == username:
            return _("用户名 %(name)s 已存在。", name=username)
        if skeleton(other) == wanted:
            return _("用户名 %(name)s 与已有用户 %(other)s 看起来相同，容易混淆，请换一个。", name=username, other=other)
    return None
