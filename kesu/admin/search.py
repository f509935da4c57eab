"""The results page of the top bar's search box, grouped by record type (see :mod:`kesu.search`)."""
from __future__ import annotations

from flask import request
from flask_admin import BaseView, expose
from flask_login import current_user

from kesu.admin.signed_in import HiddenSignedInPage
from kesu.choices import CASE_STATUS
from kesu.permissions import personal_value_for
from kesu.search import DESCRIPTION_WINDOW, search_records


class SearchView(HiddenSignedInPage, BaseView):
    @expose("/")
    def index(self):
        results = search_records(current_user, request.args.get("q"))
        return self.render("admin/search_results.html", results=results, case_status=CASE_STATUS.label,
                           description_window=DESCRIPTION_WINDOW,
                           phone=lambda value: personal_value_for(current_user, "phone", value))
