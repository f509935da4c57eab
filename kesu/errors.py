"""Error pages: Chinese (English after the language switch), never Werkzeug's bare English ones.

A logged-in user gets the panel's navigation around the message, anyone else a plain page with a link to the
login. The page says what happened in the user's terms; a 500 page never shows the exception (Flask has already
logged it with its traceback).
"""
from __future__ import annotations

from flask import Flask, current_app, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from kesu.extensions import db

MESSAGES = {
    400: (_l("请求无效"), _l("提交的内容无法处理。请返回上一页，检查后重试。")),
    403: (_l("没有权限"), _l("您的角色不能打开此页面或执行此操作。")),
    404: (_l("页面不存在"), _l("您要找的页面或记录不存在，或不在您的权限范围内。")),
    405: (_l("不支持此操作"), _l("此地址不接受这种请求方式。请从页面上的按钮或链接进入。")),
    413: (_l("内容太大"), _l("上传的文件或提交的内容超过了允许的大小。请压缩或拆分后重新提交。")),
    429: (_l("请求太频繁"), _l("短时间内的请求太多，已暂时拒绝。请稍后再试。")),
    500: (_l("系统出错"), _l("系统处理您的请求时出错，错误已记录。请稍后重试；如果一直出现，请联系管理员。")),
}
CSRF_MESSAGE = (_l("页面已过期"), _l("页面打开太久或您已在别处退出登录，表单没有提交。请返回上一页，刷新后重新提交。"))
OTHER_MESSAGE = (_l("请求未能完成"), _l("请返回上一页重试。"))


def _message(error: HTTPException) -> tuple[str, str]:
    if isinstance(error, CSRFError):
        return CSRF_MESSAGE
    return MESSAGES.get(error.code or 500, OTHER_MESSAGE)


def _render(code: int, title: str, text: str) -> str:
    if current_user.is_authenticated:
        home = current_app.extensions["admin"][0].index_view
        return home.render("admin/kesu_error.html", code=code, title=title, text=text)
    return render_template("error.html", code=code, title=title, text=text)


def error_page(error: HTTPException):
    """The Chinese page for an HTTP error, with the error's own headers (``Allow`` of a 405). An error that carries
    its own page (the login page of a throttled login, 429) keeps it."""
    if error.code is None or error.code < 400 or error.response is not None:
        return error
    if isinstance(error, InternalServerError):
        db.session.rollback()  # the failed transaction must not break the navigation's queries
    title, text = _message(error)
    headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
    try:
        body = _render(error.code, str(title), str(text))
    except Exception:  # the navigation itself failed: still a Chinese page, without it
        current_app.logger.exception("error page %s: the page with navigation failed", error.code)
        db.session.rollback()
        body = render_template("error.html", code=error.code, title=title, text=text)
    return body, error.code, headers


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, error_page)
