"""Every admin changelist, add form and change form renders for a superuser."""

import pytest
from django.urls import reverse

from tests.factories import IndicatorFactory, ProjectFactory, ProjectFundFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_data(sample_report):
    project = ProjectFactory(report=sample_report, position=100)
    ProjectFundFactory(project=project)
    IndicatorFactory(report=sample_report, project=project, position=1)
    return sample_report


def _registered(admin_site):
    return [
        (model._meta.app_label, model._meta.model_name, model)
        for model in admin_site._registry
        if model._meta.app_label in {"evaluations", "indicators"}
    ]


def test_every_changelist_and_form_renders(client, superuser, full_data, admin_site):
    client.force_login(superuser)
    registered = _registered(admin_site)
    assert len(registered) >= 6
    for app, name, model in registered:
        response = client.get(reverse(f"admin:{app}_{name}_changelist"))
        assert response.status_code == 200, (name, response.status_code)
        response = client.get(reverse(f"admin:{app}_{name}_add"))
        assert response.status_code in (200, 403), name
        obj = model.objects.first()
        if obj is not None:
            response = client.get(reverse(f"admin:{app}_{name}_change", args=[obj.pk]))
            assert response.status_code == 200, name
            response = client.get(reverse(f"admin:{app}_{name}_history", args=[obj.pk]))
            assert response.status_code == 200, name


def test_report_page_shows_derived_totals_and_chinese_labels(client, superuser, sample_report):
    client.force_login(superuser)
    response = client.get(reverse("admin:evaluations_report_change", args=[sample_report.pk]))
    content = response.content.decode()
    assert "基本支出 303.99 ＋ 项目支出 1,524.91 ＝ 支出 1,828.90 万元" in content
    assert "部门基本情况" in content
    assert "偏差原因分析及改进措施" in content
    # Inlines appear in document order: budgets, projects, narratives, indicators.
    order = [content.index(marker) for marker in (
        "budget_executions-TOTAL_FORMS", "projects-TOTAL_FORMS", "narratives-TOTAL_FORMS",
        "indicators-TOTAL_FORMS",
    )]
    assert order == sorted(order)


def test_changelist_filters_and_search(client, superuser, sample_report):
    client.force_login(superuser)
    url = reverse("admin:evaluations_report_changelist")
    assert "董家塅" in client.get(url, {"q": "董家塅"}).content.decode()
    assert "董家塅" in client.get(url, {"q": "航空产业链"}).content.decode()
    response = client.get(url, {"status__exact": "draft"})
    assert "0 个自评报告" in response.content.decode() or "0 自评报告" in response.content.decode()


def test_admin_names_the_product_not_the_framework(client, superuser):
    client.force_login(superuser)
    content = client.get(reverse("admin:index")).content.decode()
    assert "绩效自评报告管理" in content
    assert "Django 站点管理员" not in content


def test_a_menu_offers_only_what_its_field_takes(client, superuser, sample_report):
    """预算类别 (budgets) listed the project fund sources (当年财政拨款, 上年结转资金, 其他资金) too,
    and choosing one failed with the generic "选择一个有效的选项": the options kept for every
    row are the field's own (limit_choices_to), as the form then checks."""
    from evaluations.models import FundingSource

    client.force_login(superuser)
    page = client.get(reverse("admin:evaluations_report_change", args=[sample_report.pk]))
    formsets = {f.formset.prefix: f.formset for f in page.context["inline_admin_formsets"]}
    budget_kind = FundingSource.Kind.BUDGET
    for prefix in ("budget_executions", "projects"):
        field = formsets[prefix].empty_form.fields["funding_source"]
        offered = {str(value) for value, _label in field.choices if value}
        budgets = {str(pk) for pk in FundingSource.objects.filter(kind=budget_kind).values_list("pk", flat=True)}
        assert offered == budgets, prefix


def test_a_rows_history_shows_figures_as_the_form_does(client, superuser):
    """The history read "300.0000 → 310.0000" and "— → 250.0000" beside forms showing 300.00."""
    from decimal import Decimal

    from tests.factories import ReportFactory

    report = ReportFactory()
    indicator = IndicatorFactory(report=report, actual_value=Decimal("300"), weight=Decimal("20"))
    indicator.actual_value = Decimal("1310.5")
    indicator.save()
    client.force_login(superuser)
    page = client.get(reverse("admin:indicators_indicator_history", args=[indicator.pk])).content.decode()
    assert "1,310.50" in page and "300.00" in page
    assert "300.0000" not in page and "1310.5000" not in page


def test_a_link_set_or_cleared_reads_as_a_dash_in_the_history(client, superuser):
    """An empty link read "Deleted 项目 (pk=None) → …" (simple-history's stand-in for a row
    it did not find), as a round's 审核人 did before its review (the cycle review)."""
    from tests.factories import ProjectFactory, ReportFactory

    report = ReportFactory()
    indicator = IndicatorFactory(report=report, project=None)
    indicator.project = ProjectFactory(report=report, name="新项目")
    indicator.save()
    client.force_login(superuser)
    page = client.get(reverse("admin:indicators_indicator_history", args=[indicator.pk])).content.decode()
    assert "— → 新项目" in page
    assert "pk=None" not in page and "Deleted" not in page
