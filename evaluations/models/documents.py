"""公开文件: the Word, PDF and 自评表 files of a published revision, generated once and kept."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from evaluations.models.report import Report


def document_path(document: ReportDocument, filename: str) -> str:
    """documents/<year>/<department>/r<revision>/<report.docx|report.pdf|self-evaluation.xlsx>."""
    report = document.report
    return (
        f"documents/{report.fiscal_year.year}/{report.department.code}/"
        f"r{document.revision}/{filename}"
    )


class ReportDocument(models.Model):
    """One official file of one published revision of a report (docs/design.md,
    "Official documents"): written when the revision is published and never changed, so an
    earlier revision's files stay downloadable as they were."""

    class Kind(models.TextChoices):
        DOCX = "docx", _("Word 文档")
        PDF = "pdf", _("PDF 文档")
        XLSX = "xlsx", _("自评表（Excel）")

    report = models.ForeignKey(
        Report, verbose_name=_("报告"), on_delete=models.CASCADE, related_name="documents"
    )
    revision = models.PositiveIntegerField(_("修订版本"))
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    file = models.FileField(_("文件"), upload_to=document_path, max_length=300)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("公开文件")
        verbose_name_plural = pgettext_lazy("plural", "公开文件")
        ordering = ["report", "revision", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "revision", "kind"],
                name="report_document_one_per_revision_kind",
                violation_error_message=_("该版本的此类文件已生成。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} r{self.revision} {self.kind}"


class StoredRows(models.Model):
    """The bytes an export writes for one published report's rows in one dataset and header
    mode (docs/design.md, "Exports of published reports: stored rows"), kept so a whole-report
    export reads them instead of formatting every row again.

    Used only while they still describe the report: its current revision, published, its
    year and department code as stored here, and ``digest`` equal to the export statement's
    as it compiles now (labels and formats included). Any write to the report's rows
    (``workflow.mark_edited``) deletes them; republication writes them again.
    """

    report = models.ForeignKey(
        Report, verbose_name=_("报告"), on_delete=models.CASCADE, related_name="stored_rows"
    )
    revision = models.PositiveIntegerField(_("修订版本"))
    dataset = models.CharField(_("数据集"), max_length=40)
    header = models.CharField(_("表头"), max_length=10)
    year = models.PositiveSmallIntegerField(_("年度"))
    department_code = models.CharField(_("部门编码"), max_length=32)
    digest = models.CharField(_("导出语句摘要"), max_length=64)
    rows = models.PositiveIntegerField(_("行数"))
    data = models.BinaryField(_("导出内容"))
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("已公开报告的导出内容")
        verbose_name_plural = pgettext_lazy("plural", "已公开报告的导出内容")
        constraints = [
            models.UniqueConstraint(
                fields=["report", "dataset", "header"], name="stored_rows_one_per_mode"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} r{self.revision} {self.dataset} {self.header}"
