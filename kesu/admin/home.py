"""The panel's start page: the user's 待办 inbox (:mod:`kesu.inbox`), and 我经手的, the records they acted on."""
from __future__ import annotations

from flask import g, request
from flask_admin import AdminIndexView, expose
from flask_login import current_user

from kesu.admin.signed_in import SignedInPage
from kesu.inbox import BY_KIND, Page, acted_on, count, has_steps, inbox


def waiting_count() -> int:
    """The top bar's badge: how many records await the signed-in user, counted once per request."""
    if "kesu_waiting" not in g:
        g.kesu_waiting = count(current_user) if current_user.is_authenticated else 0
    return g.kesu_waiting


def _page_number() -> int:
    value = request.args.get("page", "")
    return int(value) if value.isdigit() and len(value) < 7 else 1


class HomeView(SignedInPage, AdminIndexView):
    def is_visible(self) -> bool:
        return False  # the top bar's 待办 link, with its count, leads here

    def _render(self, tab: str, page: Page):
        return self.render("admin/kesu_index.html", tab=tab, page=page, listings=BY_KIND,
                           has_steps=has_steps(current_user))

    @expose("/")
    def index(self):
        page = inbox(current_user, _page_number())
        g.kesu_waiting = page.total
        return self._render("inbox", page)

    @expose("/mine/")
    def mine(self):
        return self._render("mine", acted_on(current_user, _page_number()))
