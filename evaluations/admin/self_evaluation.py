"""The report page's 自评表 upload: the workbook filled in offline, read into this draft.

The workbook belongs to one report (its department sheet names the department and year), so
its upload sits on that report's page; the reports' data import screen takes it too, with a
preview (admin/workbook_import.py). The reading, checks and writing are
evaluations/imports/self_evaluation.py's, as ``import_data self_evaluation``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from evaluations import access
from evaluations.imports.self_evaluation import MAX_BYTES, WorkbookError, import_workbook

ERRORS_SHOWN = 50


def import_view(model_admin, request, object_id):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    report = model_admin.get_object(request, unquote(object_id))  # scoped to the user's departments
    if report is None:
        raise Http404
    if not access.has_permission(request.user, access.IMPORT_DATA):
        raise PermissionDenied
    back = redirect(reverse("admin:evaluations_report_change", args=[report.pk]))
    upload = request.FILES.get("workbook")
    if upload is None:
        messages.error(request, _("请选择自评表文件（.xlsx）。"))
        return back
    if upload.size > MAX_BYTES:
        messages.error(request, _("文件超过 %(limit)s MB，未读取。") % {"limit": MAX_BYTES // 2**20})
        return back
    try:
        result = import_workbook(upload.read(), filename=upload.name, user=request.user, report=report)
    except WorkbookError as exc:
        messages.error(request, _("自评表未导入，没有写入任何数据："))
        for error in exc.errors[:ERRORS_SHOWN]:
            messages.error(request, error)
        if len(exc.errors) > ERRORS_SHOWN:
            messages.error(request, _("另有 %(count)s 处错误。") % {"count": len(exc.errors) - ERRORS_SHOWN})
        return back
    messages.success(request, result.summary)
    for note in result.notes[:ERRORS_SHOWN]:
        messages.warning(request, note)
    return back
