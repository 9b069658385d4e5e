"""After the year (docs/design.md, "Targets, monitoring, findings"): findings and their
rectification (整改), the budget recommendation per project (结果应用), the re-check sample
and its scores (抽查复核), and attachments (附件).

Unlike a report's figures, these rows change after publication: a published report gets
findings, verifications, re-check scores and evidence. Who may write which is
``evaluations.access``'s (the "After the year" rules); the report's edit lock does not bind them.
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from evaluations.models.figures import Project
from evaluations.models.report import Report
from indicators.vocabulary import BudgetRecommendation


def _valid(field: str, choices, name: str, message) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__in": [value for value, _label in choices]}),
        name=name, violation_error_message=message,
    )


def _user(verbose_name) -> models.ForeignKey:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=verbose_name, on_delete=models.SET_NULL,
        null=True, blank=True, editable=False, related_name="+",
    )


# --- Findings and rectification -------------------------------------------------------------


class FindingQuerySet(models.QuerySet):
    def unresolved(self) -> FindingQuerySet:
        """Not yet verified: what next year's report carries over."""
        return self.exclude(status=Finding.Status.VERIFIED)

    def overdue(self, today: datetime.date | None = None) -> FindingQuerySet:
        """Past their due date with the work not done (Finding.is_overdue as a query)."""
        today = today or timezone.localdate()
        return self.filter(status__in=Finding.WORK_PENDING, due_date__lt=today)


class FindingSource(models.TextChoices):
    """Who found it: the department's own self-evaluation, or someone else."""

    SELF = "self", _("自评发现")
    REVIEW = "review", _("审核发现")
    RECHECK = "recheck", _("抽查复核")
    AUDIT = "audit", _("审计发现")
    THIRD_PARTY = "third_party", _("第三方评价")


class FindingStatus(models.TextChoices):
    """Rectification (整改): open → in progress → done → verified (by a reviewer)."""

    OPEN = "open", _("未整改")
    IN_PROGRESS = "in_progress", _("整改中")
    DONE = "done", _("已整改")
    VERIFIED = "verified", _("已验证")


class Finding(models.Model):
    """整改问题: a problem found in a report — by the department itself, a review, a re-check,
    an audit or a third party — with its measure, owner, due date and rectification status
    (open → in progress → done → verified by a reviewer)."""

    Source = FindingSource
    Status = FindingStatus

    # The work is still to do: past the due date, these are overdue.
    WORK_PENDING = (FindingStatus.OPEN, FindingStatus.IN_PROGRESS)

    report = models.ForeignKey(
        Report, verbose_name=_("报告"), on_delete=models.CASCADE, related_name="findings"
    )
    position = models.PositiveIntegerField(_("序号"))
    source = models.CharField(_("问题来源"), max_length=20, choices=FindingSource.choices, default=FindingSource.SELF)
    description = models.TextField(_("问题描述"))
    measure = models.TextField(_("整改措施"), blank=True)
    owner = models.CharField(_("责任人（单位）"), max_length=200, blank=True)
    due_date = models.DateField(_("整改期限"), null=True, blank=True)
    status = models.CharField(
        _("整改状态"), max_length=20, choices=FindingStatus.choices, default=FindingStatus.OPEN, db_index=True
    )
    created_by = _user(_("录入人"))
    done_by = _user(_("标记已整改的人"))
    verified_by = _user(_("验证人"))
    verified_at = models.DateTimeField(_("验证时间"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords()
    objects = FindingQuerySet.as_manager()

    class Meta:
        verbose_name = _("整改问题")
        verbose_name_plural = pgettext_lazy("plural", "整改问题")
        ordering = ["report", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "position"], name="finding_unique_position_per_report",
                violation_error_message=_("同一报告中整改问题序号不能重复。"),
            ),
            _valid("source", FindingSource.choices, "finding_source_valid", _("问题来源无效。")),
            _valid("status", FindingStatus.choices, "finding_status_valid", _("整改状态无效。")),
            models.CheckConstraint(
                condition=~Q(status="verified") | Q(verified_at__isnull=False),
                name="finding_verified_has_time",
                violation_error_message=_("已验证的整改问题须有验证时间。"),
            ),
        ]
        permissions = [("verify_finding", _("可验证整改"))]

    def __str__(self) -> str:
        return f"{self.position}. {self.description[:40]}"

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        """Past the due date with the work not done (FindingQuerySet.overdue as a test)."""
        today = today or timezone.localdate()
        return self.status in self.WORK_PENDING and self.due_date is not None and self.due_date < today

    def take_status(self, status: str, user) -> None:
        """Set ``status`` and note who took the step (done, verified) and when it was verified.
        Whether ``user`` may is access.why_not_finding_status's, asked by the caller."""
        if status == self.status:
            return
        self.status = status
        user_id = getattr(user, "pk", None)
        if status == FindingStatus.DONE:
            self.done_by_id = user_id
        if status == FindingStatus.VERIFIED:
            self.verified_by_id, self.verified_at = user_id, timezone.now()
        else:
            self.verified_by_id, self.verified_at = None, None

    @staticmethod
    def due_date_problem(due_date: datetime.date | None, year: int) -> str | None:
        """A due date before the report's year is a slip (the admin and the import ask this)."""
        if due_date is not None and due_date < datetime.date(year, 1, 1):
            return gettext("整改期限 %(date)s 早于报告所属的 %(year)s 年度。") % {
                "date": due_date.isoformat(), "year": year}
        return None

    def clean(self) -> None:
        super().clean()
        if self.report_id is not None:
            problem = self.due_date_problem(self.due_date, self.report.fiscal_year.year)
            if problem:
                raise ValidationError({"due_date": problem})


# --- Result use -----------------------------------------------------------------------------


class Recommendation(models.Model):
    """结果应用建议: a reviewer's budget recommendation for a project's next year
    (increase, keep, reduce, cancel), suggested from its grade, with a note."""

    project = models.OneToOneField(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="recommendation"
    )
    recommendation = models.CharField(
        _("预算安排建议"), max_length=20, choices=BudgetRecommendation.choices
    )
    note = models.TextField(_("说明"), blank=True)
    recorded_by = _user(_("记录人"))
    recorded_at = models.DateTimeField(_("记录时间"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("结果应用建议")
        verbose_name_plural = pgettext_lazy("plural", "结果应用建议")
        ordering = ["project__report", "project__position"]
        constraints = [
            _valid("recommendation", BudgetRecommendation.choices, "recommendation_valid",
                   _("预算安排建议无效。")),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.get_recommendation_display()}"


# --- Re-checks ------------------------------------------------------------------------------


class SampleMethod(models.TextChoices):
    SAMPLED = "sampled", _("随机抽取")
    MANUAL = "manual", _("人工添加")


class RecheckSample(models.Model):
    """抽查复核名单: a report picked for re-check, at random (manage.py sample_recheck) or by hand."""

    Method = SampleMethod

    report = models.OneToOneField(
        Report, verbose_name=_("报告"), on_delete=models.CASCADE, related_name="recheck_sample"
    )
    method = models.CharField(_("方式"), max_length=20, choices=SampleMethod.choices, default=SampleMethod.MANUAL)
    seed = models.BigIntegerField(_("随机种子"), null=True, blank=True, editable=False)
    added_by = _user(_("添加人"))
    created_at = models.DateTimeField(_("添加时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("抽查复核名单")
        verbose_name_plural = pgettext_lazy("plural", "抽查复核名单")
        ordering = ["-report__fiscal_year__year", "report__department__code"]
        constraints = [
            _valid("method", SampleMethod.choices, "recheck_sample_method_valid", _("方式无效。")),
        ]

    def __str__(self) -> str:
        return str(self.report)


class Recheck(models.Model):
    """复核得分: a reviewer's re-check score of one indicator, shown beside the self score."""

    indicator = models.OneToOneField(
        "indicators.Indicator", verbose_name=_("指标"), on_delete=models.CASCADE,
        related_name="recheck",
    )
    recheck_score = models.DecimalField(
        _("复核得分"), max_digits=6, decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    note = models.TextField(_("复核说明"), blank=True)
    recorded_by = _user(_("复核人"))
    recorded_at = models.DateTimeField(_("复核时间"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("复核得分")
        verbose_name_plural = pgettext_lazy("plural", "复核得分")
        ordering = ["indicator__report", "indicator__project__position", "indicator__position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(recheck_score__gte=0), name="recheck_score_non_negative",
                violation_error_message=_("复核得分不能为负数。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} · {self.recheck_score}"

    @staticmethod
    def score_problem(score, indicator) -> str | None:
        """A re-check score lies within 0…the indicator's weight (the admin and the import ask this)."""
        if indicator.weight is None:
            return gettext("指标“%(name)s”未设分值，不计分，不能复核打分。") % {"name": indicator.name}
        if not 0 <= score <= indicator.weight:
            return gettext("复核得分 %(score)s 超出 0–%(weight)s（指标“%(name)s”的分值）。") % {
                "score": score, "weight": indicator.weight, "name": indicator.name}
        return None

    def clean(self) -> None:
        super().clean()
        if self.indicator_id is not None and self.recheck_score is not None:
            problem = self.score_problem(self.recheck_score, self.indicator)
            if problem:
                raise ValidationError({"recheck_score": problem})


# --- Attachments ----------------------------------------------------------------------------


def attachment_path(instance: Attachment, filename: str) -> str:
    """Stored under a random name with the extension of the type found in the content: the
    uploader's file name is kept only as text (``filename``), never as a path."""
    return f"attachments/{instance.report_id}/{uuid.uuid4().hex}.{instance.kind}"


class AttachmentKind(models.TextChoices):
    """The file types taken, found from the content (evaluations/attachments.py); the code is
    the stored file's extension."""

    PDF = "pdf", "PDF"
    DOCX = "docx", "Word"
    XLSX = "xlsx", "Excel"
    PNG = "png", "PNG"
    JPEG = "jpg", "JPEG"


class Attachment(models.Model):
    """附件: evidence (signed originals, photos, survey results) attached to a report, or to one
    of its projects, indicators or findings. Public ones of a published report are listed on
    its page and served; the rest only to users who may see the report.

    ``report`` is always set and at most one of project, indicator, finding names what it is
    about (rather than a generic foreign key): the database keeps each reference whole and
    deletes attachments with what they belong to, the department scope is one join like every
    other row's, and a page reads a report's attachments in one query by ``report``.
    """

    Kind = AttachmentKind

    report = models.ForeignKey(
        Report, verbose_name=_("报告"), on_delete=models.CASCADE, related_name="attachments"
    )
    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, null=True, blank=True,
        related_name="attachments",
    )
    indicator = models.ForeignKey(
        "indicators.Indicator", verbose_name=_("指标"), on_delete=models.CASCADE, null=True,
        blank=True, related_name="attachments",
    )
    finding = models.ForeignKey(
        Finding, verbose_name=_("整改问题"), on_delete=models.CASCADE, null=True, blank=True,
        related_name="attachments",
    )
    title = models.CharField(_("标题"), max_length=200)
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=200)
    filename = models.CharField(_("原文件名"), max_length=200, editable=False)
    kind = models.CharField(_("类型"), max_length=10, choices=AttachmentKind.choices, editable=False)
    size = models.PositiveBigIntegerField(_("大小（字节）"), editable=False)
    sha256 = models.CharField("SHA-256", max_length=64, editable=False)
    public = models.BooleanField(
        _("公开"), default=False, help_text=_("公开的附件在报告公开后列在公开页面上，任何人可下载。")
    )
    uploaded_by = _user(_("上传人"))
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = pgettext_lazy("plural", "附件")
        ordering = ["report", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(project__isnull=True, indicator__isnull=True)
                | Q(project__isnull=True, finding__isnull=True)
                | Q(indicator__isnull=True, finding__isnull=True),
                name="attachment_at_most_one_subject",
                violation_error_message=_("附件只能属于项目、指标、整改问题中的一个。"),
            ),
            _valid("kind", AttachmentKind.choices, "attachment_kind_valid", _("附件类型无效。")),
            models.CheckConstraint(
                condition=Q(size__gt=0), name="attachment_not_empty",
                violation_error_message=_("附件不能为空文件。"),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def subject(self):
        """What it is about: the project, indicator or finding, else the report."""
        return self.project or self.indicator or self.finding or self.report

    def clean(self) -> None:
        super().clean()
        if self.report_id is None:
            return
        for name in ("project", "indicator", "finding"):
            related = getattr(self, name) if getattr(self, f"{name}_id") else None
            if related is not None and related.report_id != self.report_id:
                raise ValidationError({name: gettext("所选%(what)s不属于该报告。") % {
                    "what": self._meta.get_field(name).verbose_name}})
