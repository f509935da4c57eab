"""The panel's 后台任务 list: each job with a progress bar that moves while it runs, and its result for its owner."""
from __future__ import annotations

import io
import mimetypes
from typing import Any

from flask import abort, jsonify, request, send_file, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from kesu import file_store
from kesu.admin.base import KesuModelView
from kesu.choices import JOB_KIND, JOB_STATUS
from kesu.models import Job

STATUS_COLOURS = {"queued": "secondary", "running": "info", "done": "success", "failed": "danger"}


def progress_bar(job: Job) -> Markup:
    """A Bootstrap progress bar with its counts in words; jobs.js moves it while the job runs."""
    colour = STATUS_COLOURS[job.status]
    counts = _("%(done)s / %(total)s", done=job.done, total=job.total) if job.total else JOB_STATUS.label(job.status)
    animated = " progress-bar-striped progress-bar-animated" if job.status == "running" else ""
    return Markup(
        '<div class="kesu-job-progress" data-kesu-job="{url}"><div class="progress" style="min-width:10rem">'
        '<div class="progress-bar bg-{colour}{animated}" role="progressbar" style="width:{percent}%" '
        'aria-valuenow="{percent}" aria-valuemin="0" aria-valuemax="100" aria-label="{label}"></div></div>'
        '<small class="kesu-job-counts">{status} · {counts}</small></div>').format(
        url=url_for("job.progress_view", id=job.id), colour=colour, animated=animated, percent=job.percent,
        label=_("任务进度"), status=JOB_STATUS.label(job.status), counts=counts)


def file_size(size: int) -> str:
    """``32 KB``, ``1.5 MB``."""
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(1, round(size / 1024))} KB"


def may_download(job: Job) -> bool:
    return job.status == "done" and bool(job.result_name) and job.owner_id == getattr(current_user, "id", None)


class JobView(KesuModelView):
    """Everyone sees their own jobs; the administrator sees every job (the scheduler's SLA checks too): the row
    scope of :data:`kesu.permissions.OWNER_COLUMNS`."""

    column_labels = {"title": _l("任务"), "kind": _l("类型"), "status": _l("状态"), "progress": _l("进度"),
                     "owner": _l("提交人"), "created_at": _l("提交时间"), "finished_at": _l("完成时间"),
                     "message": _l("说明"), "result": _l("结果"), "attempts": _l("运行次数"),
                     "expires_at": _l("保留至")}
    column_list = ("title", "kind", "progress", "owner", "created_at", "finished_at", "result")
    column_details_list = ("title", "kind", "progress", "message", "result", "owner", "attempts", "created_at",
                           "finished_at", "expires_at")
    column_select_related_list = ("owner",)
    column_sortable_list = ("title", "kind", "created_at", "finished_at")
    choice_columns = {"kind": JOB_KIND, "status": JOB_STATUS}
    column_filters = ("kind", "status", "created_at")
    column_default_sort = ("id", True)
    details_template = "admin/job_details.html"
    list_template = "admin/job_list.html"
    column_formatters = {
        "progress": lambda view, context, job, name: progress_bar(job),
        "result": lambda view, context, job, name: view.result_link(job),
    }

    def result_link(self, job: Job) -> Markup | str:
        if not may_download(job):
            return ""
        return Markup('<a class="btn btn-sm btn-primary" href="{}">{} ({})</a>').format(
            url_for(".download_view", id=job.id), _("下载"), file_size(job.result_size or 0))

    @expose("/progress/")
    def progress_view(self):
        """The job's state for jobs.js, polled while it runs."""
        job = self.get_one(request.args.get("id"))
        return jsonify(status=job.status, status_label=JOB_STATUS.label(job.status), done=job.done, total=job.total,
                       percent=job.percent, message=job.message or "", finished=job.finished,
                       download_url=url_for(".download_view", id=job.id) if may_download(job) else None)

    @expose("/download/")
    def download_view(self):
        job = self.get_one(request.args.get("id"))
        if not may_download(job):
            abort(404)
        content = file_store.read("results", job.result_name)
        mimetype = mimetypes.guess_type(job.result_filename)[0] or "application/octet-stream"
        return send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=job.result_filename)

    def render(self, template: str, **kwargs: Any):
        kwargs.setdefault("job_result_link", self.result_link)
        return super().render(template, **kwargs)
