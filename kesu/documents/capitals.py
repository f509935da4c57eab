"""Amounts in Chinese financial capitals (大写金额), as written on agreements and vouchers.

``cn2an`` does the digit work; this wrapper adds what the rules ask of a written amount (会计基础工作规范
art. 52, PBOC 支付结算办法 附件): the amount is rounded half-up to 分, starts with 人民币, and ends with 整
after 元 or 角 but not after 分.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import cn2an

CENT = Decimal("0.01")
#: cn2an handles up to 16 digits before the decimal point; money columns hold 12.
LIMIT = Decimal("1e16")


def amount_in_chinese(amount: Decimal | int | str) -> str:
    """``Decimal("12300")`` → ``人民币壹万贰仟叁佰元整``; ``Decimal("1002.35")`` → ``人民币壹仟零贰元叁角伍分``."""
    try:
        value = Decimal(str(amount)).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {amount!r}") from exc
    if value < 0 or value >= LIMIT:
        raise ValueError(f"amount out of range for capitals: {value}")
    words = cn2an.an2cn(f"{value:.2f}", "rmb")
    if words.endswith("角"):
        words += "整"
    return "人民币" + words
