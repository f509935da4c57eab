"""Return addresses (``?url=``, ``?next=``, the Referer): followed or rendered as links only when on-site.

Browsers forgive a lot in a URL: they drop tabs and newlines, read ``\\`` as ``/``, ignore leading spaces and
control characters and take ``http:host`` as an absolute address on an https page. So the rule is strict
rather than clever: a path that starts with exactly one ``/`` and holds no whitespace, control character or
backslash; an absolute http(s) address only when its host is this site, and then only its path is kept.
"""
from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from flask import request

MAX_LENGTH = 2000


def _clean(target: str) -> bool:
    return "\\" not in target and all(" " < ch != "\x7f" and not ch.isspace() for ch in target)


def safe_return_url(target: str | None) -> str | None:
    """``target`` as an on-site path (``/admin/case/?page=2``), or None when it could lead anywhere else."""
    if not target or len(target) > MAX_LENGTH or not _clean(target):
        return None
    try:
        parts = urlsplit(target)
    except ValueError:
        return None
    if parts.scheme or parts.netloc:
        if parts.scheme.lower() not in ("http", "https") or parts.netloc.lower() != request.host.lower():
            return None
        target = parts.path + (f"?{parts.query}" if parts.query else "")
    if not target.startswith("/") or target.startswith("//"):
        return None
    return target


def without_return_parameter(name: str = "url") -> str:
    """This request's own address with the ``name`` parameter dropped."""
    kept = [(key, value) for key, value in request.args.items(multi=True) if key != name]
    return request.path + (f"?{urlencode(kept)}" if kept else "")
