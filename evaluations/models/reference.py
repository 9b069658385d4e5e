"""Reference data: departments (with their 归口 parent and staff), fiscal years, funding sources."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from indicators.models import default_rule_set


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
    rule_set = models.ForeignKey(
        "indicators.RuleSet", verbose_name=_("默认评分规则"), on_delete=models.PROTECT,
        default=default_rule_set, related_name="fiscal_years",
        help_text=_("本年度新建报告采用的评分规则；每份报告保留自己的评分规则。"),
    )

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
