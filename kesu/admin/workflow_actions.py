"""Workflow transitions in the panel: buttons and dialogs on a record's page, bulk actions on its list.

Every click goes to :func:`kesu.workflow.perform` and is one transaction: the status change, its side
effects and its audit event are committed together or not at all. A dialog carries the record version the
user saw; if someone acted on the record in between, the click is refused instead of acting on a state the
user never saw. Which buttons and bulk actions a user is offered is :func:`kesu.policy.refusal`'s answer, the
same rule :func:`~kesu.workflow.perform` applies to the click.
"""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user

from forms.workflow import ActionForm, action_form_class
from kesu import policy
from kesu.admin.filters_related import is_record_id
from kesu.audit import last_editor
from kesu.extensions import db
from kesu.permissions import scope_query
from kesu.policy import Act
from kesu.redirects import safe_return_url
from kesu.workflow import MACHINES, WorkflowError, perform
from kesu.workflow.core import Transition, precondition_refusal

BULK_PREFIX = "workflow_"


class WorkflowActionsMixin:
    """Mixed into a :class:`~kesu.admin.base.KesuModelView` whose model has a state machine."""

    #: Transitions offered as bulk actions on the list (each record is checked on its own).
    bulk_actions: tuple[str, ...] = ()

    @property
    def machine(self):
        return MACHINES[self.model]

    def _transition(self, action: str) -> Transition:
        transition = self.machine.transitions.get(action)
        if transition is None:
            abort(404)
        return transition

    def _may_start(self, transition: Transition) -> bool:
        """Whether the user is one who starts ``transition`` at all (each record is checked when it is run)."""
        return policy.may(current_user, Act.TRANSITION, self.model, transition.key)

    def _details_url(self, record: Any) -> str:
        return url_for(".details_view", id=record.id, url=safe_return_url(request.args.get("url")))

    def action_dialogs(self, record: Any) -> list[tuple[Transition, ActionForm, str | None]]:
        """The buttons of the detail page: each transition this user may start in this state, with its empty
        form and, when something else must happen first (a countersign, an 8D root cause), why it is disabled."""
        dialogs = []
        for transition in policy.allowed_transitions(current_user, record):
            form = action_form_class(self.machine.name, transition.key)(formdata=None)
            form.prepare(record)
            form.version.data = record.version
            dialogs.append((transition, form, precondition_refusal(transition, record, current_user)))
        return dialogs

    def render(self, template: str, **kwargs: Any):
        if template == self.details_template and "model" in kwargs:
            kwargs["action_dialogs"] = self.action_dialogs(kwargs["model"])
        return super().render(template, **kwargs)

    def _stale_message(self, record: Any) -> str:
        who = last_editor(db.session, record) or _("其他用户")
        return _("此记录在您打开后已被 %(who)s 处理或修改，当前状态为「%(status)s」，您的操作没有执行。"
                 "请查看最新内容后再操作。", who=who, status=self.machine.statuses.label(record.status))

    @expose("/workflow/<action>/", methods=("GET", "POST"))
    def workflow_view(self, action: str):
        transition = self._transition(action)
        if not self._may_start(transition):
            abort(403)
        record = self.get_one(request.args.get("id"))
        form = action_form_class(self.machine.name, action)()
        form.prepare(record)
        if request.method == "GET":
            refused = policy.refusal(current_user, Act.TRANSITION, record, action)
            if refused:  # a stale button: the dialog is not opened (a post is checked again by perform)
                flash(refused, "error")
                return redirect(self._details_url(record))
            form.version.data = record.version
        elif form.validate_on_submit():
            if str(form.version.data) != str(record.version):
                flash(self._stale_message(record), "error")
                return redirect(self._details_url(record))
            try:
                perform(record, action, current_user, **form.workflow_fields())
                db.session.commit()
            except WorkflowError as refused:
                db.session.rollback()
                flash(str(refused), "error")
            else:
                notice = record.__dict__.pop("_workflow_notice", None)  # passed up: the status stays
                flash(notice or _("已完成「%(action)s」，当前状态：%(status)s。", action=transition.label,
                                  status=self.machine.statuses.label(record.status)), "info" if notice else "success")
                if not policy.may(current_user, Act.READ, record):  # transferred to another department
                    flash(_("此记录已转由其他部门办理，不在您的权限范围内，已回到待办。"), "info")
                    return redirect(url_for("admin.index"))
                return redirect(self._details_url(record))
        return self.render("admin/workflow_action.html", record=record, transition=transition, form=form,
                           return_url=self._details_url(record))

    # --- bulk actions on the list ------------------------------------------------------------------------
    def init_actions(self) -> None:
        super().init_actions()
        for key in self.bulk_actions:
            transition = self.machine.transitions[key]
            name = BULK_PREFIX + key
            self._actions.append((name, transition.label))
            self._actions_data[name] = (self._bulk_redirect(key), transition.label, None)

    def _bulk_redirect(self, key: str):
        def start(ids: list[str]):
            return redirect(url_for(".workflow_bulk_view", action=key, ids=",".join(ids), url=safe_return_url(request.referrer)))
        return start

    def is_action_allowed(self, name: str) -> bool:
        if name.startswith(BULK_PREFIX):
            key = name[len(BULK_PREFIX):]
            return key in self.bulk_actions and self._may_start(self._transition(key))
        return super().is_action_allowed(name)

    def _selected(self) -> list[Any]:
        """The selected records the user may see, in the order of their numbers; other ids are ignored."""
        ids = [int(part) for part in request.args.get("ids", "").split(",") if is_record_id(part)][:500]
        query = scope_query(db.session.query(self.model), self.model, current_user)
        return query.filter(self.model.id.in_(ids)).order_by(self.model.id).all() if ids else []

    @expose("/workflow-bulk/<action>/", methods=("GET", "POST"))
    def workflow_bulk_view(self, action: str):
        if action not in self.bulk_actions:
            abort(404)
        transition = self._transition(action)
        if not self._may_start(transition):
            abort(403)
        records = self._selected()
        form = action_form_class(self.machine.name, action)()
        form.prepare(self.model())
        return_url = safe_return_url(request.args.get("url")) or url_for(".index_view")
        results = None
        if request.method == "POST" and form.validate_on_submit() and records:
            results = self._perform_each(records, action, form.workflow_fields())
        return self.render("admin/workflow_bulk.html", records=records, transition=transition, form=form,
                           results=results, return_url=return_url)

    def _perform_each(self, records: list[Any], action: str, fields: dict[str, Any]) -> list[tuple[Any, str | None]]:
        """Each record in its own savepoint: one refusal does not undo the others; one commit at the end."""
        results = []
        for record in records:
            try:
                with db.session.begin_nested():
                    perform(record, action, current_user, **fields)
            except WorkflowError as refused:
                results.append((record, str(refused)))
            else:
                results.append((record, None))
        db.session.commit()
        done = sum(1 for _record, refusal in results if refusal is None)
        flash(_("「%(action)s」：%(done)s 件成功，%(failed)s 件未执行。", action=self._transition(action).label,
                done=done, failed=len(results) - done), "success" if done == len(results) else "warning")
        return results

