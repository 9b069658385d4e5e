"""Departments, fiscal years and the self-evaluation report (绩效自评报告) with its figures.

Amounts are stored in 万元 with four decimal places; figures that can be derived (basic
spending, total expenditure, execution rate) are computed, never stored.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from indicators import scoring

AMOUNT = {"max_digits": 18, "decimal_places": 4, "validators": [MinValueValidator(Decimal("0"))]}
ZERO = Decimal("0")


def amount_field(verbose_name, **kwargs) -> models.DecimalField:
    """A non-negative amount in 万元."""
    return models.DecimalField(verbose_name, **AMOUNT, **kwargs)


def non_negative(name: str, fields: list[str]) -> models.CheckConstraint:
    """One named check that every listed amount is empty or at least zero."""
    condition = Q()
    for field in fields:
        condition &= Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": 0})
    return models.CheckConstraint(
        condition=condition,
        name=name,
        violation_error_message=_("金额不能为负数。"),
    )


def parent_loop(start, parent_of):
    """``[start, …, start]`` when following ``parent_of`` from ``start`` leads back to it, else
    None. A loop higher up that does not pass through ``start`` ends the walk too."""
    chain, current = [start], parent_of(start)
    while current is not None and current not in chain:
        chain.append(current)
        current = parent_of(current)
    return [*chain, start] if current is not None and current == start else None


class Department(models.Model):
    """部门/单位: a budget unit that publishes a self-evaluation report each year."""

    code = models.SlugField(
        _("部门编码"), max_length=32, unique=True,
        help_text=_("用于网址和数据文件，只能包含字母、数字、连字符和下划线。"),
    )
    name = models.CharField(_("部门名称"), max_length=200)
    short_name = models.CharField(_("简称"), max_length=100, blank=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("归口管理部门"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("填报人员"), blank=True,
        related_name="departments",
        help_text=_("可以填报本部门数据的用户。"),
    )

    # When what the public pages print of the department last changed (code, names, 归口):
    # the pages' version stamp reads it, so assigning staff, which history records as a
    # change of the department too, leaves every cached page valid.
    public_changed_at = models.DateTimeField(
        _("公开信息更新时间"), default=timezone.now, editable=False, db_index=True
    )

    history = HistoricalRecords(m2m_fields=[staff])

    PUBLIC_FIELDS = ("code", "name", "short_name", "parent_id")

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = pgettext_lazy("plural", "部门")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # Compared with the stored row, not with a copy kept since loading: departments are
        # saved a few at a time, and the database cannot be stale.
        update_fields = kwargs.get("update_fields")
        fields = [
            name for name in self.PUBLIC_FIELDS
            if update_fields is None
            or any(self._meta.get_field(f).attname == name for f in update_fields)
        ]
        stored = None
        if fields and not self._state.adding:
            stored = type(self)._default_manager.filter(pk=self.pk).values(*fields).first()
        if fields and (stored is None or any(stored[f] != getattr(self, f) for f in fields)):
            self.public_changed_at = timezone.now()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "public_changed_at"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("evaluations:department", args=[self.code])

    def clean(self) -> None:
        """A department cannot be its own 归口管理部门, directly or through others."""
        super().clean()
        loop = parent_loop(self, lambda department: department.parent)
        if loop is not None:
            chain = " → ".join(d.name for d in loop)
            raise ValidationError({"parent": _("归口管理关系形成循环：%(chain)s。") % {"chain": chain}})


class FiscalYear(models.Model):
    """预算年度: the year a report covers; entry is allowed while it is open."""

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    is_open = models.BooleanField(_("开放填报"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("预算年度")
        verbose_name_plural = pgettext_lazy("plural", "预算年度")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class FundingSource(models.Model):
    """资金来源: one of the four budgets, or a project fund source (其中 rows of a 自评表)."""

    class Kind(models.TextChoices):
        BUDGET = "budget", _("预算")
        PROJECT_FUND = "project_fund", _("项目资金来源")

    code = models.SlugField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类别"), max_length=20, choices=Kind.choices)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("资金来源")
        verbose_name_plural = pgettext_lazy("plural", "资金来源")
        ordering = ["kind", "position", "code"]

    def __str__(self) -> str:
        # The seeded names are in the catalogue (English pages read "General public budget");
        # names an administrator adds later show as entered.
        return gettext(self.name)


class ReportQuerySet(models.QuerySet):
    def published(self) -> ReportQuerySet:
        return self.filter(status=Report.Status.PUBLISHED)

    def for_user(self, user) -> ReportQuerySet:
        """Reports a user may see in the admin: all for reviewers and auditors, else their departments'."""
        if user.is_superuser or user.has_perm("evaluations.view_all_departments"):
            return self
        return self.filter(department__staff=user)


class Report(models.Model):
    """自评报告: one department's performance self-evaluation for one fiscal year."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        APPROVED = "approved", _("已审核")
        PUBLISHED = "published", _("已公开")

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

    execution_weight = models.DecimalField(
        _("预算执行率分值"), max_digits=6, decimal_places=2, default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    execution_explanation = models.TextField(
        _("执行率偏低说明"), blank=True, help_text=_("预算执行率低于90%时必须说明原因。")
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
            # What a public page's version stamp reads of a year's reports (views._stamp).
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

    def get_absolute_url(self) -> str:
        return reverse("evaluations:report", args=[self.fiscal_year.year, self.department.code])

    @property
    def display_title(self) -> str:
        if self.title:
            return self.title
        return _("%(year)s年度%(department)s整体支出绩效自评报告") % {
            "year": self.fiscal_year.year,
            "department": self.department.name,
        }

    @property
    def display_publisher(self) -> str:
        return self.publisher or self.department.name

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


class BudgetExecution(models.Model):
    """预算支出情况: one budget's income and spending in a report (basic = personnel + public)."""

    report = models.ForeignKey(
        Report, verbose_name=_("报告"), on_delete=models.CASCADE, related_name="budget_executions"
    )
    funding_source = models.ForeignKey(
        FundingSource, verbose_name=_("预算类别"), on_delete=models.PROTECT,
        limit_choices_to={"kind": FundingSource.Kind.BUDGET}, related_name="+",
    )
    initial_budget = amount_field(_("年初预算数"), null=True, blank=True)
    adjusted_budget = amount_field(_("全年预算数"), null=True, blank=True)
    income = amount_field(_("财政拨款收入"), null=True, blank=True)
    personnel = amount_field(_("人员经费"), default=ZERO)
    public = amount_field(_("公用经费"), default=ZERO)
    project = amount_field(_("项目支出"), default=ZERO)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("预算支出情况")
        verbose_name_plural = pgettext_lazy("plural", "预算支出情况")
        ordering = ["funding_source__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "funding_source"],
                name="budget_execution_one_per_budget",
                violation_error_message=_("同一报告中每类预算只能填写一行。"),
            ),
            non_negative(
                "budget_execution_amounts_non_negative",
                ["initial_budget", "adjusted_budget", "income", "personnel", "public", "project"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report} · {self.funding_source}"

    @property
    def basic(self) -> Decimal:
        """基本支出 = 人员经费 + 公用经费."""
        return (self.personnel or ZERO) + (self.public or ZERO)

    @property
    def expenditure(self) -> Decimal:
        """财政拨款支出 = 基本支出 + 项目支出."""
        return self.basic + (self.project or ZERO)

    @property
    def execution_rate(self) -> Decimal | None:
        """执行率 in percent, against the adjusted budget."""
        return scoring.execution_rate(self.expenditure, self.adjusted_budget)


class Project(models.Model):
    """项目支出 / 专项资金: a project of a report, with its own 自评表."""

    report = models.ForeignKey(
        Report, verbose_name=_("报告"), on_delete=models.CASCADE, related_name="projects"
    )
    funding_source = models.ForeignKey(
        FundingSource, verbose_name=_("预算类别"), on_delete=models.PROTECT,
        limit_choices_to={"kind": FundingSource.Kind.BUDGET}, related_name="+",
    )
    code = models.SlugField(_("项目编码"), max_length=40)
    name = models.CharField(_("项目名称"), max_length=200)
    initial_budget = amount_field(_("年初预算数"), null=True, blank=True)
    adjusted_budget = amount_field(_("全年预算数"), null=True, blank=True)
    expenditure = amount_field(_("全年执行数"), default=ZERO)
    goal = models.TextField(_("年度总体目标"), blank=True)
    outcome = models.TextField(
        _("专项资金支出绩效情况"), blank=True, help_text=_("全年实际完成情况与绩效。")
    )
    execution_weight = models.DecimalField(
        _("预算执行率分值"), max_digits=6, decimal_places=2, default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    execution_explanation = models.TextField(_("执行率偏低说明"), blank=True)
    position = models.PositiveIntegerField(_("顺序"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("项目")
        verbose_name_plural = pgettext_lazy("plural", "项目")
        ordering = ["report", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "code"],
                name="project_unique_code_per_report",
                violation_error_message=_("同一报告中项目编码不能重复。"),
            ),
            models.UniqueConstraint(
                fields=["report", "position"],
                name="project_unique_position_per_report",
                violation_error_message=_("同一报告中项目顺序不能重复。"),
            ),
            non_negative(
                "project_amounts_non_negative",
                ["initial_budget", "adjusted_budget", "expenditure"],
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def execution_rate(self) -> Decimal | None:
        return scoring.execution_rate(self.expenditure, self.adjusted_budget)


class ProjectFund(models.Model):
    """项目资金来源: the 其中 rows of a project's table (当年财政拨款, 上年结转资金, 其他资金)."""

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="funds"
    )
    funding_source = models.ForeignKey(
        FundingSource, verbose_name=_("资金来源"), on_delete=models.PROTECT,
        limit_choices_to={"kind": FundingSource.Kind.PROJECT_FUND}, related_name="+",
    )
    initial_budget = amount_field(_("年初预算数"), null=True, blank=True)
    adjusted_budget = amount_field(_("全年预算数"), null=True, blank=True)
    expenditure = amount_field(_("全年执行数"), default=ZERO)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("项目资金来源")
        verbose_name_plural = pgettext_lazy("plural", "项目资金来源")
        ordering = ["project", "funding_source__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "funding_source"],
                name="project_fund_one_per_source",
                violation_error_message=_("同一项目中每种资金来源只能填写一行。"),
            ),
            non_negative(
                "project_fund_amounts_non_negative",
                ["initial_budget", "adjusted_budget", "expenditure"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.funding_source}"

    @property
    def execution_rate(self) -> Decimal | None:
        return scoring.execution_rate(self.expenditure, self.adjusted_budget)


class OutcomeNarrative(models.Model):
    """绩效情况: a numbered paragraph of 部门整体支出绩效情况 (headline, then body)."""

    report = models.ForeignKey(
        Report, verbose_name=_("报告"), on_delete=models.CASCADE, related_name="narratives"
    )
    position = models.PositiveIntegerField(_("序号"))
    headline = models.CharField(_("标题句"), max_length=300)
    body = models.TextField(_("正文"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("绩效情况")
        verbose_name_plural = pgettext_lazy("plural", "绩效情况")
        ordering = ["report", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "position"],
                name="narrative_unique_position_per_report",
                violation_error_message=_("同一报告中绩效情况序号不能重复。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.headline}"


class ReportEvent(models.Model):
    """审核记录: one step of a report's workflow — who moved it, when, from where to where, why.

    Written only by ``evaluations.services`` and never changed afterwards: the comment of a
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
