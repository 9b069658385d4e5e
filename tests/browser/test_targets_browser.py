"""The 绩效目标表 and the reviewers' list of latest monitoring in a real browser: phone, desktop,
no JavaScript, print."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.browser.test_public_browser import _keep, _seed_funding_sources

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def year_data(live_server):
    """A department whose targets are approved and adjusted, with a red and a yellow round."""
    from django.contrib.auth.models import Group

    from evaluations import monitoring, targets, workflow
    from evaluations.models import (
        BudgetExecution,
        MonitoringProgress,
        MonitoringRound,
        MonitoringSpending,
        Project,
    )
    from indicators.models import Indicator
    from tests.factories import DepartmentFactory, ReportFactory, UserFactory, source

    _seed_funding_sources()
    for name in ("data_entry", "reviewer"):
        Group.objects.get_or_create(name=name)
    _grant_roles()
    clerk = UserFactory(username="clerk-b")
    clerk.groups.add(Group.objects.get(name="data_entry"))
    reviewer = UserFactory(username="reviewer-b", password="correct horse battery staple")
    reviewer.groups.add(Group.objects.get(name="reviewer"))
    rounds = []
    for n, (code, name) in enumerate([("dongjiaduan", "东佳段片区管理委员会"), ("roads", "区交通运输局")]):
        department = DepartmentFactory(code=code, name=name)
        department.staff.add(clerk)
        report = ReportFactory(department=department, fiscal_year__year=2024,
                               goals="围绕产业园区建设，全年新引进项目不少于18个，道路养护全覆盖。")
        BudgetExecution.objects.create(report=report, funding_source=source("general"),
                                       adjusted_budget=Decimal("1828.9"))
        project = Project.objects.create(
            report=report, funding_source=source("general"), code="roads", name="园区道路养护及绿化提升工程",
            initial_budget=Decimal("300"), adjusted_budget=Decimal("392.69"), position=1,
            goal="完成园区主干道养护 80 公里，绿化提升 12 万平方米，群众满意度不低于 90%。")
        names = [("新引进项目", "个", "18"), ("技工贸总收入", "亿元", "275"), ("固定资产投资增长率", "%", "8.5")]
        for i, (indicator, unit, value) in enumerate(names, start=1):
            Indicator.objects.create(report=report, level1="output", level2="quantity", name=indicator,
                                     unit=unit, target_value=Decimal(value), weight=Decimal("30"), position=i)
        road = Indicator.objects.create(report=report, project=project, level1="output", level2="quantity",
                                        name="道路养护里程", unit="公里", target_value=Decimal("100"),
                                        weight=Decimal("60"), position=1)
        Indicator.objects.create(report=report, project=project, level1="satisfaction",
                                 level2="satisfaction", name="服务对象满意度", nature="qualitative",
                                 target_text="≥90%", weight=Decimal("30"), position=2)
        # (each table's weights with the execution's 10 add up to 100: approval locks them)
        workflow.move_targets(report, clerk, "submit")
        workflow.move_targets(report, reviewer, "approve")
        report.refresh_from_db()
        adjustment = targets.request_adjustment(report, user=clerk, indicator=road, field="target_value",
                                                new_value="80", reason="汛期延长，养护工期缩短两个月")
        targets.approve_adjustment(adjustment, reviewer)
        round_ = MonitoringRound.objects.create(report=report, month=7 + 3 * n)
        MonitoringSpending.objects.create(round=round_, funding_source=source("general"),
                                          spent_to_date=Decimal("500") if n == 0 else Decimal("1600"))
        MonitoringSpending.objects.create(round=round_, funding_source=source("general"), project=project,
                                          spent_to_date=Decimal("350"))
        MonitoringProgress.objects.create(round=round_, indicator=road, progress_value=Decimal("20"))
        rounds.append(monitoring.submit_round(round_, clerk))
    return {"url": live_server.url, "rounds": rounds}


def _grant_roles():
    import importlib

    from django.apps import apps

    for name in ("0003_role_groups", "0011_targets_monitoring"):
        module = importlib.import_module(f"evaluations.migrations.{name}")
        (module.create_groups if hasattr(module, "create_groups") else module.grant)(apps, None)


@pytest.mark.parametrize("width", [375, 1280])
def test_targets_page_on_phone_and_desktop(new_page, year_data, width, tmp_path):
    page = new_page(viewport={"width": width, "height": 900}, java_script_enabled=False,
                    is_mobile=width < 500)
    page.goto(year_data["url"] + "/reports/2024/dongjiaduan/targets/")
    assert page.get_by_role("heading", name="2024年度东佳段片区管理委员会绩效目标表").is_visible()
    assert page.get_by_text("汛期延长，养护工期缩短两个月").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot = tmp_path / f"targets-{width}.png"
    page.screenshot(path=str(shot), full_page=True)
    _keep(shot, f"targets-{width}.png")
    page.emulate_media(media="print")
    assert page.locator(".site-header").is_hidden() and page.locator(".page-url").is_visible()


@pytest.mark.parametrize("width", [375, 1280])
def test_reviewers_list_of_latest_rounds(new_page, year_data, width, tmp_path):
    page = new_page(viewport={"width": width, "height": 900})
    page.goto(year_data["url"] + "/admin/login/")
    page.fill("#id_username", "reviewer-b")
    page.fill("#id_password", "correct horse battery staple")
    page.click("input[type=submit]")
    page.goto(year_data["url"] + "/admin/evaluations/monitoringoverview/")
    assert page.get_by_text("红灯").first.is_visible() and page.get_by_text("黄灯").first.is_visible()
    page.goto(year_data["url"] + "/admin/evaluations/monitoringoverview/?light__exact=red")
    assert page.locator("#result_list tbody tr").count() == 1
    page.goto(year_data["url"] + "/admin/evaluations/monitoringoverview/")
    shot = tmp_path / f"monitoring-overview-{width}.png"
    page.screenshot(path=str(shot), full_page=True)
    _keep(shot, f"monitoring-overview-{width}.png")
