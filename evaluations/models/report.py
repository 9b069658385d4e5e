"""The self-evaluation report (绩效自评报告): its narrative sections, status and workflow events."""

from __future__ import annotations

import functools
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from evaluations.models.reference import Department, FiscalYear
from indicators import scoring
from indicators.vocabulary import Grade

# A report's title where none is written (Report.display_title).
DEFAULT_TITLE = _("%(year)s年度%(department)s整体支出绩效自评报告")


class ReportQuerySet(models.QuerySet):
    def published(self) -> ReportQuerySet:
        return self.filter(status=Report.Status.PUBLISHED)


class Report(models.Model):
    """自评报告: one department's performance self-evaluation for one fiscal year.

    Its status fields (``WORKFLOW_FIELDS``) belong to ``evaluations.workflow``: a save of a
    stored report writes every other field and leaves them as the database has them, so a
    form loaded before a submission cannot take the report back to draft; changing one in
    memory and saving without naming it in ``update_fields`` is refused.
    """

    WORKFLOW_FIELDS = ("status", "revision", "published_at", "targets_status")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        APPROVED = "approved", _("已审核")
        PUBLISHED = "published", _("已公开")

    class TargetsStatus(models.TextChoices):
        """绩效目标 status, apart from the report's (evaluations/models/targets.py)."""

        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        APPROVED = "approved", _("已批复")

    department = models.ForeignKey(
        Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="reports"
    )
    fiscal_year = models.ForeignKey(
        FiscalYear, verbose_name=_("年度"), on_delete=models.PROTECT, related_name="reports"
    )
    title = models.CharField(
        _("标题"), max_length=300, blank=True,
        help_text=_("留空则为“某年度某部门整体支出绩效自评报告”。"),
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    revision = models.PositiveIntegerField(_("修订版本"), default=1)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    targets_status = models.CharField(
        _("绩效目标状态"), max_length=20, choices=TargetsStatus.choices,
        default=TargetsStatus.DRAFT, db_index=True,
    )

    profile = models.TextField(_("部门基本情况"), blank=True)
    goals = models.TextField(
        _("年度整体支出绩效目标"), blank=True,
        help_text=_("部门（单位）年度整体支出绩效目标、部门专项资金绩效目标和其他项目支出的说明；可量化的目标另作为绩效指标填写。"),
    )
    overall_summary = models.TextField(
        _("部门整体支出绩效情况"), blank=True, help_text=_("绩效情况编号段落前的导语。")
    )
    problems = models.TextField(_("存在的问题及原因分析"), blank=True)
    improvements = models.TextField(_("下一步改进措施"), blank=True)
    result_application = models.TextField(_("绩效自评结果拟应用和公开情况"), blank=True)
    other_matters = models.TextField(_("其他需要说明的情况"), blank=True)

    # The table's own execution weight, if it sets one; blank takes the rule set's
    # (docs/design.md, "Scoring rule sets"). ``execution_weight`` is the weight it was scored
    # with, stored with the scores (evaluations/scores.py) and frozen with them.
    execution_weight_override = models.DecimalField(
        _("本表预算执行率分值"), max_digits=6, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("留空则按评分规则的预算执行率分值计分；填写则本表按所填分值计分。"),
    )
    execution_weight = models.DecimalField(
        _("预算执行率分值"), max_digits=6, decimal_places=2, default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0"))], editable=False,
    )
    execution_explanation = models.TextField(
        _("执行率偏低说明"), blank=True, help_text=_("预算执行率低于90%时必须说明原因。")
    )
    rule_set = models.ForeignKey(
        "indicators.RuleSet", verbose_name=_("评分规则"), on_delete=models.PROTECT,
        blank=True, related_name="reports",
        help_text=_("留空则采用本年度的默认评分规则。公开后得分不再随规则变化。"),
    )
    # The rule set's parameters when the report was published, which it is read under from
    # then on (Report.rules): editing the rule set later changes drafts only (docs/design.md,
    # "Scoring rule sets"). Written by save() with the status, empty while not published.
    rule_snapshot = models.JSONField(_("公开时的评分规则参数"), null=True, editable=False)

    # The stored scores of the 部门整体 table (evaluations/scores.py): recomputed whenever a
    # draft changes, frozen at publication; never entered.
    execution_rate = models.DecimalField(
        _("预算执行率"), max_digits=30, decimal_places=2, null=True, editable=False
    )
    execution_score = models.DecimalField(
        _("预算执行率得分"), max_digits=6, decimal_places=2, null=True, editable=False
    )
    total_score = models.DecimalField(
        _("总分"), max_digits=5, decimal_places=2, null=True, editable=False
    )
    grade = models.CharField(
        _("评价等级"), max_length=20, choices=Grade.choices, blank=True, editable=False,
        default="", db_default="",  # rows written by COPY (bench/synthetic.py) name no grade
    )

    index_number = models.CharField(_("索引号"), max_length=100, blank=True)
    publisher = models.CharField(
        _("发布机构"), max_length=200, blank=True, help_text=_("留空则为部门名称。")
    )
    document_number = models.CharField(_("文号"), max_length=100, blank=True)

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords()
    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("自评报告")
        verbose_name_plural = pgettext_lazy("plural", "自评报告")
        ordering = ["-fiscal_year__year", "department__code"]
        indexes = [
            # What a public page's version stamp reads of a year's reports (public/stamp.py).
            models.Index(
                fields=["fiscal_year", "status", "updated_at", "revision"], name="report_page_stamp"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "fiscal_year"],
                name="report_one_per_department_year",
                violation_error_message=_("该部门本年度已有自评报告。"),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "submitted", "approved", "published"]),
                name="report_status_valid",
                violation_error_message=_("报告状态无效。"),
            ),
            models.CheckConstraint(
                condition=Q(targets_status__in=["draft", "submitted", "approved"]),
                name="report_targets_status_valid",
                violation_error_message=_("绩效目标状态无效。"),
            ),
        ]
        permissions = [
            ("view_all_departments", _("可查看所有部门的数据")),
            ("submit_report", _("可提交报告")),
            ("review_report", _("可审核、退回报告")),
            ("publish_report", _("可公开、撤回报告")),
            ("import_data", _("可导入数据")),
            ("export_data", _("可导出数据")),
        ]

    def __str__(self) -> str:
        return self.display_title

    # The workflow owns the status fields (WORKFLOW_FIELDS).
    def save(self, *args, **kwargs):
        if self.rule_set_id is None and self.fiscal_year_id is not None:
            # Empty means the year's default, taken when the report is first saved.
            self.rule_set_id = self.fiscal_year.rule_set_id
        if not self._state.adding and kwargs.get("update_fields") is None and not args:
            stored = self.__dict__.get("_stored_workflow", {})
            moved = [name for name, value in stored.items() if getattr(self, name) != value]
            if moved:
                raise ValueError(
                    f"Report {', '.join(moved)} move only through evaluations.workflow; "
                    "name them in update_fields to write them on purpose."
                )
            deferred = self.get_deferred_fields()
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in WORKFLOW_FIELDS_SET
                and f.name != "rule_snapshot" and f.attname not in deferred
            ]
        if not args:
            kwargs["update_fields"] = self._freeze_rules(kwargs.get("update_fields"))
        super().save(*args, **kwargs)
        written = kwargs.get("update_fields")
        self._remember_workflow(WORKFLOW_FIELDS_SET if written is None else set(written))

    def get_absolute_url(self) -> str:
        return reverse("evaluations:report", args=[self.fiscal_year.year, self.department.code])

    @property
    def display_title(self) -> str:
        if self.title:
            return self.title
        return DEFAULT_TITLE % {"year": self.fiscal_year.year, "department": self.department.name}

    @property
    def short_label(self) -> str:
        """"2022 · 第1商务局": a list's label of the report where a phone has no room for its
        title (findings, monitoring rounds)."""
        return f"{self.fiscal_year.year} · {self.department.short_name or self.department.name}"

    @property
    def rules(self) -> scoring.Rules:
        """The rules it is scored under: once published, its rule set's as they were then;
        before, its rule set's, or (not yet saved with one) its year's."""
        return self._rules(self.rule_snapshot, self.rule_set if self.rule_set_id else None)

    def _rules(self, snapshot: dict | None, rule_set) -> scoring.Rules:
        """:attr:`rules` from the report's snapshot and rule set as given (see rules_of)."""
        if snapshot is not None:
            return _snapshot_rules(tuple(sorted(snapshot.items())))
        if rule_set is not None:
            return rule_set.rules
        if self.fiscal_year_id is not None:
            return self.fiscal_year.rule_set.rules
        return scoring.NATIONAL_2020

    def _freeze_rules(self, update_fields):
        """Keep the rule set's parameters with a published report, drop them from any other;
        ``update_fields`` with the snapshot added where it moved."""
        published = self.status == self.Status.PUBLISHED
        if published == (self.rule_snapshot is not None) or (published and self.rule_set_id is None):
            return update_fields
        self.rule_snapshot = self.rule_set.snapshot() if published else None
        return None if update_fields is None else [*update_fields, "rule_snapshot"]

    @property
    def display_publisher(self) -> str:
        return self.publisher or self.department.name

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._remember_workflow(WORKFLOW_FIELDS_SET)
        return instance

    def _remember_workflow(self, names) -> None:
        stored = self.__dict__.setdefault("_stored_workflow", {})
        for name in WORKFLOW_FIELDS_SET.intersection(names):
            attname = self._meta.get_field(name).attname
            if attname in self.__dict__:
                stored[name] = self.__dict__[attname]

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        self._remember_workflow(WORKFLOW_FIELDS_SET if fields is None else set(fields))


WORKFLOW_FIELDS_SET = frozenset(Report.WORKFLOW_FIELDS)


def rules_of(reports, rule_sets: dict | None = None) -> dict[int, scoring.Rules]:
    """Report.rules of stored reports, by id, for the paths that score many at once (the
    importer's plans, scores.recompute): a rule set's rules built once, not once a report,
    and the snapshots of reports loaded without them (``defer``) read in one query.
    ``rule_sets``: the rule sets by id, when the caller has them (else each report's own)."""
    reports = [r for r in reports if r.pk is not None]
    unread = {r.pk for r in reports if "rule_snapshot" in r.get_deferred_fields()}
    snapshots = dict(
        Report.objects.filter(pk__in=unread, rule_snapshot__isnull=False)
        .values_list("pk", "rule_snapshot")
    ) if unread else {}
    shared: dict[int, scoring.Rules] = {}  # a rule set's rules, for the reports without a snapshot
    found: dict[int, scoring.Rules] = {}
    for report in reports:
        snapshot = snapshots.get(report.pk) if report.pk in unread else report.rule_snapshot
        if snapshot is None and report.rule_set_id in shared:
            found[report.pk] = shared[report.rule_set_id]
            continue
        rule_set = None
        if report.rule_set_id is not None:
            # A rule set made after the caller read them: the report's own (one query).
            rule_set = (rule_sets or {}).get(report.rule_set_id) or report.rule_set
        found[report.pk] = report._rules(snapshot, rule_set)
        if snapshot is None and rule_set is not None:
            shared[report.rule_set_id] = found[report.pk]
    return found


@functools.lru_cache(maxsize=64)
def _snapshot_rules(items: tuple) -> scoring.Rules:
    from indicators.rule_sets import RuleSet

    return RuleSet.from_snapshot(dict(items)).rules


class ReportEvent(models.Model):
    """审核记录: one step of a report's workflow — who moved it, when, from where to where, why.

    Written only by ``evaluations.workflow`` and never changed afterwards: the comment of a
    return is what the department reads, the note of a publication is the public 修订说明.
    """

    class Action(models.TextChoices):
        SUBMIT = "submit", _("提交")
        RETURN = "return", _("退回")
        APPROVE = "approve", _("审核通过")
        PUBLISH = "publish", _("公开")
        REOPEN = "reopen", _("撤回修订")

    report = models.ForeignKey(
        Report, verbose_name=_("报告"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("操作"), max_length=20, choices=Action.choices)
    from_status = models.CharField(_("原状态"), max_length=20, choices=Report.Status.choices)
    to_status = models.CharField(_("新状态"), max_length=20, choices=Report.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT,
        related_name="+",
    )
    comment = models.TextField(_("意见或说明"), blank=True)
    revision = models.PositiveIntegerField(_("修订版本"))
    created_at = models.DateTimeField(_("时间"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("审核记录")
        verbose_name_plural = pgettext_lazy("plural", "审核记录")
        ordering = ["report", "created_at", "id"]
        indexes = [models.Index(fields=["report", "action"], name="report_event_report_action")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.report_id} · {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        # The trail is append-only: a recorded step is evidence, not data to edit.
        if self.pk is not None and not self._state.adding:
            raise ValueError("ReportEvent rows are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("ReportEvent rows are immutable")
