"""The panel's start page: what is open, by status, within the user's scope."""
from __future__ import annotations

from flask_admin import AdminIndexView, expose
from flask_login import current_user
from sqlalchemy import func, select

from kesu.admin.signed_in import SignedInPage
from kesu.extensions import db
from kesu.models import Case
from kesu.permissions import row_condition
from kesu.timeutil import utcnow
from kesu.workflow.statuses import CASE_STATUSES


class HomeView(SignedInPage, AdminIndexView):
    @expose("/")
    def index(self):
        condition = row_condition(Case, current_user)
        scoped = (lambda q: q.where(condition)) if condition is not None else (lambda q: q)
        by_status = dict(db.session.execute(
            scoped(select(Case.status, func.count()).group_by(Case.status))).all())
        overdue = db.session.scalar(scoped(select(func.count()).select_from(Case).where(
            Case.status.in_(CASE_STATUSES.open), Case.next_due_at < utcnow())))
        recent = db.session.scalars(scoped(select(Case).order_by(Case.received_at.desc()).limit(10))).all()
        rows = [(s.key, s.label, by_status.get(s.key, 0)) for s in CASE_STATUSES]
        open_total = sum(count for key, _, count in rows if key in CASE_STATUSES.open)
        case_view = next(v for v in self.admin._views if getattr(v, "endpoint", None) == "case")
        return self.render("admin/kesu_index.html", rows=rows, open_total=open_total, overdue=overdue,
                           recent=recent, status_label=CASE_STATUSES.choices.label,
                           status_arg=case_view.equals_filter_arg("status"))
