"""The admin's upload of a past published report (.txt, .docx): upload → review → confirm
(docs/design.md, "Past reports into data").

The review shows each value read beside the sentence it came from, the paragraphs not
recognised, what the text itself gets wrong and the consistency checks' findings on the
draft it would make (evaluations/past/builder.py, a dry run). The file waits in
PendingImport between review and confirm, as the data import's does (admin/imports.py).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.formatting import amount
from evaluations import access
from evaluations.admin.imports import claim_pending, megabytes, too_large_message
from evaluations.models import Department, PendingImport, Report
from evaluations.past import ReportFileError
from evaluations.past.builder import ImportOutcome, ReportImportError, import_report
from evaluations.past.labels import BUDGET_FIELD_LABELS, SECTION_LABELS, budget_label

DATASET = "past_report"  # PendingImport.dataset of these uploads
TEXT_LABELS = {
    "profile": _("部门基本情况"), "goals": _("年度整体支出绩效目标"),
    "overall_summary": _("部门整体支出绩效情况"), "problems": _("存在的问题及原因分析"),
    "improvements": _("下一步改进措施"), "result_application": _("绩效自评结果拟应用和公开情况"),
    "other_matters": _("其他需要说明的情况"), "index_number": _("索引号"),
    "publisher": _("发布机构"), "document_number": _("文号"),
}
NATURE_SIGNS = {"gte": "≥", "lte": "≤", "eq": "="}
KIND_LABELS = {
    "report": _("报告"), "budget_executions": _("预算支出情况"), "projects": _("项目"),
    "narratives": _("绩效情况"), "indicators": _("绩效指标"),
}


class PastReportForm(forms.Form):
    report_file = forms.FileField(label=_("报告文件（.txt 或 .docx）"))
    department = forms.ModelChoiceField(
        label=_("部门"), queryset=Department.objects.none(), required=False,
        help_text=_("留空则按报告标题中的部门名称查找。"),
    )
    year = forms.IntegerField(label=_("年度"), required=False, min_value=1990, max_value=2200,
                              help_text=_("留空则取报告标题中的年度。"))

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(
            **access.department_lookups(user, "")).order_by("code")
        self.fields["report_file"].widget.attrs["accept"] = ".txt,.docx"

    def clean_report_file(self):
        upload = self.cleaned_data["report_file"]
        if upload and upload.size > settings.IMPORT_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(too_large_message())
        return upload


def _figure_rows(outcome: ImportOutcome) -> list[dict]:
    """Each figure read: where it goes, its value in 万元 (or its unit), as written, the sentence."""
    extraction = outcome.extraction
    rows = []
    for code, budget in extraction.budgets.items():
        source = budget_label(code)
        if budget.none is not None:
            rows.append({"what": source, "value": gettext("无"), "written": budget.none.value,
                         "sentence": budget.none.sentence})
        for name, figure in budget.figures.items():
            rows.append({"what": f"{source} · {BUDGET_FIELD_LABELS[name]}",
                         "value": f"{amount(figure.value)} 万元", "written": figure.written,
                         "note": figure.note, "sentence": figure.sentence})
    return rows


def review_context(outcome: ImportOutcome) -> dict:
    extraction = outcome.extraction
    return {
        "extraction": extraction,
        "found": [SECTION_LABELS[k] for k in extraction.found],
        "missing": [SECTION_LABELS[k] for k in extraction.missing],
        "texts": [(TEXT_LABELS[name], text.value, text.value != text.sentence and text.sentence)
                  for name, text in extraction.texts.items()],
        "figures": _figure_rows(outcome),
        "projects": [{
            "position": p.position, "name": p.name, "source": budget_label(p.source),
            "value": amount(p.expenditure.value) if p.expenditure else "",
            "written": p.expenditure.written if p.expenditure else "",
            "sentence": p.expenditure.sentence if p.expenditure else "",
            "outcome": p.outcome.value if p.outcome else "",
        } for p in extraction.projects],
        "targets": [{
            "name": t.name, "sign": NATURE_SIGNS.get(t.nature, ""), "target": t.target.written,
            "actual": t.actual.written if t.actual else "", "word": t.word,
            "sentence": t.target.sentence, "actual_sentence": t.actual.sentence if t.actual else "",
        } for t in extraction.targets],
        "counts": [(KIND_LABELS[kind], counts) for kind, counts in outcome.counts.items()],
        "findings": outcome.findings,
    }


class PastReportAdminMixin:
    """Adds the past-report upload to the report admin (its URLs and pages)."""

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("import-report/", self.admin_site.admin_view(self.past_report_view),
                 name="{}_{}_import_report".format(*info)),
            path("import-report/confirm/", self.admin_site.admin_view(self.past_report_confirm_view),
                 name="{}_{}_import_report_confirm".format(*info)),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}),
                         "has_past_report_permission": self._may_import_past(request)}
        return super().changelist_view(request, extra_context)

    def _may_import_past(self, request) -> bool:
        return access.has_permission(request.user, access.IMPORT_DATA)

    def _past_render(self, request, context: dict) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request), "opts": self.opts,
            "has_view_permission": self.has_view_permission(request),
            "limit_mb": megabytes(settings.IMPORT_MAX_UPLOAD_BYTES),
            "max_age_minutes": settings.IMPORT_UPLOAD_MAX_AGE // 60,
            "upload_url": reverse("admin:evaluations_report_import_report"), **context,
        }
        return TemplateResponse(request, "admin/evaluations/past_report_import.html", context)

    def past_report_view(self, request):
        if not self._may_import_past(request):
            raise PermissionDenied
        PendingImport.objects.expired().delete()
        form = PastReportForm(request.user, request.POST or None, request.FILES or None)
        if request.method == "POST":
            valid = form.is_valid()
            if getattr(request, "upload_too_large", False):  # config/uploads.py
                form.errors.pop("report_file", None)
                form.add_error("report_file", too_large_message())
            elif valid:
                return self._past_review(request, form)
        return self._past_render(request, {"title": gettext("导入往年自评报告"), "form": form})

    def _run(self, request, data: bytes, filename: str, department, year, *, dry_run: bool):
        try:
            return import_report(
                data, filename, year=year, department_code=department.code if department else None,
                user=request.user, dry_run=dry_run,
            ), None
        except (ReportFileError, ReportImportError) as exc:
            return None, str(exc)

    def _past_review(self, request, form: PastReportForm) -> TemplateResponse:
        upload = form.cleaned_data["report_file"]
        data, filename = upload.read(), (upload.name or "report")[-255:]
        department, year = form.cleaned_data["department"], form.cleaned_data["year"]
        outcome, error = self._run(request, data, filename, department, year, dry_run=True)
        context = {"title": gettext("核对读取结果") if error is None else gettext("未导入"),
                   "filename": filename, "error": error}
        if outcome is not None:
            context.update(review_context(outcome))
            context["pending"] = PendingImport.objects.keep(
                user=request.user, dataset=DATASET, filename=filename, data=data)
            context["department_id"] = department.pk if department else ""
            context["year"] = year or ""
        return self._past_render(request, context)

    def past_report_confirm_view(self, request):
        upload_url = reverse("admin:evaluations_report_import_report")
        if request.method != "POST":
            return HttpResponseRedirect(upload_url)
        if not self._may_import_past(request):
            raise PermissionDenied
        form = PastReportForm(request.user, request.POST)
        form.fields["report_file"].required = False
        pending = claim_pending(request, [DATASET])
        if pending is None or not form.is_valid():
            return HttpResponseRedirect(upload_url)
        if "cancel" in request.POST:
            messages.info(request, gettext("已取消导入，上传的文件已删除。"))
            return HttpResponseRedirect(upload_url)
        outcome, error = self._run(request, bytes(pending.data), pending.filename,
                                   form.cleaned_data["department"], form.cleaned_data["year"],
                                   dry_run=False)
        if outcome is None:
            return self._past_render(request, {
                "title": gettext("导入未完成"), "filename": pending.filename, "error": error})
        report: Report = outcome.report
        messages.success(request, gettext("已将“%(file)s”导入草稿报告“%(report)s”；请核对检查结果。")
                         % {"file": pending.filename, "report": report})
        return HttpResponseRedirect(reverse("admin:evaluations_report_change", args=[report.pk]))
