"""The 自评表 workbook in the admin's data import screen (upload → preview → confirm), beside
the row datasets: ``self_evaluation``, as ``manage.py import_data self_evaluation`` takes it.

The workbook is not a row dataset (no ``PLANS`` entry): its sheets name the report they
belong to, and evaluations/imports/self_evaluation.py reads, checks and writes them — the
preview is its dry run, the confirmation its import, each all or nothing. The report page's
own upload (admin/self_evaluation.py) remains for one report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from evaluations.admin.previews import ACTION_LABELS, shown
from evaluations.imports.results import NEW
from evaluations.imports.self_evaluation import (
    MAX_BYTES,
    SELF_EVALUATION,
    WorkbookError,
    import_workbook,
)
from evaluations.models import PendingImport, Project, ProjectFund, Report


@dataclass(frozen=True)
class Workbook:
    """What the import screen's choice and pages need of a dataset: its name and label."""

    name: str
    label: str


WORKBOOK = Workbook(SELF_EVALUATION, _("绩效自评表工作簿"))


def _errors(filename: str, errors: list[str], *, confirmed: bool) -> dict:
    limit = settings.IMPORT_PREVIEW_ROWS
    return {
        "title": gettext("导入未完成：确认时重新检查发现错误") if confirmed else gettext("文件有错误，未导入"),
        "dataset": WORKBOOK, "filename": filename, "ok": False, "error_count": len(errors),
        # Each message names its sheet and cell (e.g. 项目支出绩效自评表-政府雇员经费!F12): shown
        # in the table's 行 and 列, as a CSV's row and column are (they read "—").
        "errors": [_located(e) for e in errors[:limit]],
        "more_errors": max(0, len(errors) - limit), "confirmed": confirmed,
    }


CELL_ERROR = re.compile(r"^(?P<sheet>[^!\n]+)!(?P<column>[A-Z]{1,3})(?P<row>[0-9]+)(?P<more>[^:]*): (?P<message>.*)$", re.S)


def _located(error: str) -> dict:
    """"sheet!F12: message" as the error table's row (12), column (F, with the sheet) and message."""
    match = CELL_ERROR.match(error)
    if match is None:
        return {"row": "", "column": "", "message": error}
    return {
        "row": match["row"] + match["more"],
        "column": gettext("%(sheet)s 的 %(column)s 列") % {"sheet": match["sheet"], "column": match["column"]},
        "message": match["message"],
    }


def preview(model_admin, request, data: bytes, filename: str):
    """The workbook's dry run; kept for the confirmation when it passed."""
    if len(data) > MAX_BYTES:
        return model_admin._render(request, _errors(filename, [
            gettext("文件超过 %(limit)s MB，未读取。") % {"limit": MAX_BYTES // 2**20}], confirmed=False))
    try:
        result = import_workbook(data, filename=filename, user=request.user, dry_run=True)
    except WorkbookError as exc:
        return model_admin._render(request, _errors(filename, exc.errors, confirmed=False))
    pending = PendingImport.objects.keep(
        user=request.user, dataset=SELF_EVALUATION, filename=filename, data=data,
    )
    return model_admin._render(request, {
        "title": gettext("导入预览：请核对后确认"), "dataset": WORKBOOK, "filename": filename,
        "ok": True, "pending": pending, "will_change": result.changed + result.created,
        "notes": result.notes[: settings.IMPORT_PREVIEW_ROWS],
        **_change_rows(result.planned, settings.IMPORT_PREVIEW_ROWS),
        "counts": {gettext("修改"): result.changed, gettext("新增"): result.created},
    })


def _change_rows(planned: list, limit: int) -> dict:
    """The workbook's changes as the data import's preview lists a file's rows (its template):
    what each row is, and each field's stored and new value."""
    rows = []
    for action, obj, changes in planned[:limit]:
        fields = [(obj._meta.get_field(name), old, new) for name, (old, new) in changes.items()]
        rows.append({"row": "", "action": ACTION_LABELS[action], "key": _row_name(obj), "changes": [
            (str(field.verbose_name), None if action == NEW else shown(old, field), shown(new, field))
            for field, old, new in fields
        ]})
    return {"changes": rows, "more_changes": max(0, len(planned) - len(rows))}


def _row_name(obj) -> str:
    """Where the row is in the report: 部门整体 or the project, then the indicator or fund."""
    if isinstance(obj, Report):
        return gettext("部门整体支出绩效自评表")
    if isinstance(obj, Project):
        return obj.name
    if isinstance(obj, ProjectFund):
        return f"{obj.project.name} · {obj.funding_source.name}"
    return obj.table_and_name


def confirm(model_admin, request, pending: PendingImport):
    """The previewed workbook imported, every cell checked again, or nothing written."""
    try:
        result = import_workbook(bytes(pending.data), filename=pending.filename, user=request.user)
    except WorkbookError as exc:
        return model_admin._render(request, _errors(pending.filename, exc.errors, confirmed=True))
    messages.success(request, result.summary)
    for note in result.notes[: settings.IMPORT_PREVIEW_ROWS]:
        messages.warning(request, note)
    return HttpResponseRedirect(reverse("admin:evaluations_report_change", args=[result.report.pk]))
