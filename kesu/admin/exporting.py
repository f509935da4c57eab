"""Export buttons on every list: the rows of the list as it stands (row scope, filters, search, sort), all
pages, as CSV or XLSX, and an audit event naming the list, its filters and search, the format and the rows."""
from __future__ import annotations

import tempfile
from typing import Any
from urllib.parse import quote

from flask import Response, abort, current_app, flash, redirect, request, send_file, stream_with_context, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from kesu import policy
from kesu.admin.filters import filter_sentence
from kesu.audit import record_event_apart
from kesu.exports import FORMATS, export_columns
from kesu.exports.writers import csv_chunks, write_xlsx
from kesu.extensions import db
from kesu.policy import Act
from kesu.timeutil import format_local, utcnow

FETCH_BATCH = 2000


class ExportMixin:
    """Mixed into :class:`~kesu.admin.base.KesuModelView`; replaces Flask-Admin's export (no BOM, no formula
    neutralisation, ORM objects row by row, a row limit) with ours under the same URL and button."""

    export_types = ["csv", "xlsx"]

    @property
    def can_export(self) -> bool:  # type: ignore[override]
        return policy.may(current_user, Act.EXPORT, self.model)

    def export_query(self):
        """The list view's query without paging: scope, search, filters and sort exactly as the page has them."""
        view_args = self._get_list_extra_args()
        sort = self._get_column_by_idx(view_args.sort)
        query = self.get_query()
        joins: dict = {}
        if self._search_supported and view_args.search:
            query, _count, joins, _count_joins = self._apply_search(query, None, joins, {}, view_args.search)
        if view_args.filters and self._filters:
            query, _count, joins, _count_joins = self._apply_filters(query, None, joins, {}, view_args.filters)
        query, joins = self._apply_sorting(query, joins, sort[0] if sort else None, view_args.sort_desc)
        return query, view_args

    def _export_description(self, view_args, export_type: str, rows: int | None) -> dict[str, Any]:
        filters = [filter_sentence(self, self._filters[index], value)
                   for index, _name, value in view_args.filters or ()]
        sort = self._get_column_by_idx(view_args.sort)
        return {"list": [None, str(self.name)], "filters": [None, filters], "search": [None, view_args.search],
                "sort": [None, sort[0] if sort else None], "format": [None, export_type], "rows": [None, rows]}

    def _audit_export(self, view_args, export_type: str, rows: int | None) -> int:
        """The export's event, committed before the file's first byte is sent; ``rows`` is None for a stream
        (its count follows in :meth:`_audit_export_done`)."""
        counted = f"{rows} 行" if rows is not None else "开始导出"
        return record_event_apart("export", record_type=self.model.__tablename__,
                                  changes=self._export_description(view_args, export_type, rows),
                                  comment=f"{self.name}：{counted}（{export_type.upper()}）")

    def _audit_export_done(self, started: int, export_type: str, rows: int, complete: bool) -> None:
        changes = {"export_event": [None, started], "format": [None, export_type], "rows": [None, rows],
                   "complete": [None, complete]}
        state = "已完成" if complete else "中断"
        record_event_apart("export_done", record_type=self.model.__tablename__, changes=changes,
                           comment=f"{self.name}：{state}，{rows} 行（{export_type.upper()}）")

    def _refuse_unaudited_export(self):
        current_app.logger.exception("export refused: its audit event could not be written")
        flash(_("导出未进行：无法写入审计日志，请稍后重试。"), "error")
        return redirect(self.get_url(".index_view", **request.args.to_dict()))

    def _rows(self, query, columns):
        """Plain tuples from the connection, fetched in batches (no ORM objects, constant memory)."""
        statement = query.with_entities(*(column.expression for column in columns)).statement
        return db.session.connection().execution_options(stream_results=True, max_row_buffer=FETCH_BATCH) \
            .execute(statement)

    def export_filename(self, export_type: str) -> str:
        """``投诉案件_20261123-1530.xlsx``."""
        return f"{self.name}_{format_local(utcnow(), '%Y%m%d-%H%M')}.{FORMATS[export_type][1]}"

    def _disposition(self, export_type: str) -> str:
        """``投诉案件_20261123-1530.xlsx`` (RFC 5987), and ``case_20261123-1530.xlsx`` for clients without it."""
        stamp, extension = format_local(utcnow(), "%Y%m%d-%H%M"), FORMATS[export_type][1]
        return _attachment(self.export_filename(export_type), f"{self.endpoint}_{stamp}.{extension}")

    @expose("/export/<export_type>/")
    def export(self, export_type: str):
        if not self.can_export:
            abort(403)
        if export_type not in FORMATS:
            abort(404)
        rows = self._export_size()
        if rows > current_app.config["EXPORT_JOB_ROWS"]:
            return self._export_as_job(export_type, rows)
        if export_type == "xlsx":
            return self._export_xlsx()
        return self._export_csv()

    def _export_size(self) -> int:
        query, _view_args = self.export_query()
        return query.order_by(None).count()

    def _export_as_job(self, export_type: str, rows: int):
        """Above ``EXPORT_JOB_ROWS`` rows the file is written by a background job; the user watches its progress."""
        from kesu import jobs
        from kesu.jobs import export

        title = _("导出%(list)s（%(n)s 行，%(format)s）", list=self.name, n=f"{rows:,}", format=export_type.upper())
        arguments = export.params(self.endpoint, export_type, request.args.to_dict(flat=False), rows)
        job = jobs.submit("export", current_user, title, arguments)
        db.session.commit()
        jobs.start(job)
        flash(_("数据较多，已提交后台任务「%(title)s」，完成后可在此下载。", title=title), "success")
        return redirect(url_for("job.details_view", id=job.id))

    def _export_xlsx(self):
        """Written to a temporary file first; the event with its row count is committed before it is sent."""
        query, view_args = self.export_query()
        columns = export_columns(self, current_user)
        out = tempfile.TemporaryFile()
        rows = write_xlsx(columns, self._rows(query, columns), out, str(self.name))
        try:
            self._audit_export(view_args, "xlsx", rows)
        except SQLAlchemyError:
            out.close()
            return self._refuse_unaudited_export()
        out.seek(0)
        response = send_file(out, mimetype=FORMATS["xlsx"][0])
        response.headers["Content-Disposition"] = self._disposition("xlsx")
        return response

    def _export_csv(self):
        """Streamed: the event is committed before the first row is read, and a second one records how many rows
        left, or that the stream broke off."""
        query, view_args = self.export_query()
        try:
            started = self._audit_export(view_args, "csv", None)
        except SQLAlchemyError:
            return self._refuse_unaudited_export()
        columns = export_columns(self, current_user)
        counter = [0]

        def stream():
            complete = False
            try:
                yield from csv_chunks(columns, self._rows(query, columns), counter)
                complete = True
            finally:
                self._audit_export_done(started, "csv", counter[0], complete)
        response = Response(stream_with_context(stream()), mimetype=FORMATS["csv"][0])
        response.headers["Content-Disposition"] = self._disposition("csv")
        return response


def _attachment(filename: str, ascii_name: str) -> str:
    """``Content-Disposition`` with an ASCII name and the UTF-8 one (RFC 5987)."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
