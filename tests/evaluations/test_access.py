"""evaluations.access: one rule for who sees what, the edit lock and the years, asked by all."""

import itertools
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.utils import timezone

from evaluations import access
from evaluations import datasets as ds
from evaluations.copying import copy_report_forward
from evaluations.imports.importer import import_file
from evaluations.models import FiscalYear, Project, Report
from tests.evaluations.workflow_setup import build_world, user_in
from tests.factories import (
    DepartmentFactory,
    FiscalYearFactory,
    ReportFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


# --- Departments ----------------------------------------------------------------------------


def test_restrict_scopes_rows_to_the_users_departments(data_entry_user, reviewer):
    world = build_world(data_entry_user)
    mine = access.restrict(Project.objects.all(), data_entry_user)
    assert {p.report_id for p in mine} == {world.report_a.pk}
    assert access.restrict(Project.objects.all(), reviewer).count() == 2
    assert access.restrict(Project.objects.all(), None).count() == 2  # the command line


def test_an_inactive_user_sees_nothing_anywhere(data_entry_user, reviewer):
    """Report lists ignored is_active (ReportQuerySet.for_user) while the admin checked it."""
    build_world(data_entry_user)
    for user in (data_entry_user, reviewer):
        user.is_active = False
        user.save()
        assert not access.restrict(Report.objects.all(), user).exists()
        assert not Report.objects.filter(**access.department_lookups(user, "department")).exists()
        assert access.allowed_department_ids(user) == set()


def test_restrict_needs_the_model_permission_for_the_action(data_entry_user):
    world = build_world(data_entry_user)
    viewer = UserFactory(username="viewer")
    world.report_a.department.staff.add(viewer)
    assert not access.restrict(Report.objects.all(), viewer).exists()
    viewer.user_permissions.add(Permission.objects.get(codename="view_report"))
    viewer = type(viewer).objects.get(pk=viewer.pk)  # permissions are cached per object
    assert list(access.restrict(Report.objects.all(), viewer)) == [world.report_a]
    assert not access.restrict(Report.objects.all(), viewer, access.CHANGE).exists()


def test_change_rows_are_those_of_reports_that_take_changes(data_entry_user):
    world = build_world(data_entry_user)
    assert access.restrict(Project.objects.all(), data_entry_user, access.CHANGE).count() == 1
    Report.objects.filter(pk=world.report_a.pk).update(status=Report.Status.SUBMITTED)
    assert not access.restrict(Project.objects.all(), data_entry_user, access.CHANGE).exists()
    assert access.restrict(Project.objects.all(), data_entry_user).count() == 1  # still seen


# --- The edit lock: one rule, as a predicate and as lookups ------------------------------------


def test_the_lock_predicate_and_its_lookups_agree(data_entry_user, superuser):
    """why_locked (one report) and writable_lookups (a queryset) are compiled from one list
    of terms; every combination of status, open year and user gives the same answer."""
    years = {True: FiscalYearFactory(year=2023, is_open=True), False: FiscalYearFactory(year=2024, is_open=False)}
    for status, is_open in itertools.product(Report.Status.values, (True, False)):
        report = ReportFactory(fiscal_year=years[is_open], status=status)
        for user in (data_entry_user, superuser, None):
            as_lookups = Report.objects.filter(pk=report.pk, **access.writable_lookups(user)).exists()
            assert (access.why_locked(report, user) is None) == as_lookups, (status, is_open, user)


def test_who_the_lock_stops():
    closed = FiscalYearFactory(year=2024, is_open=False)
    draft = ReportFactory(fiscal_year=closed)
    clerk, root = UserFactory(username="c"), UserFactory(username="r", is_superuser=True)
    assert access.why_locked(draft, clerk) == access.Lock.YEAR_CLOSED
    assert access.why_locked(draft, root) is None  # superusers correct a closed year's draft
    submitted = ReportFactory(status=Report.Status.SUBMITTED)
    assert access.why_locked(submitted, root) == access.Lock.STATUS  # not past draft, though
    assert access.why_locked(submitted, None) is None  # the command line restores exports


def test_no_permission_name_is_typed_outside_the_access_module():
    """has_perm("evaluations.…") inline was spelled about 15 times; the names are constants."""
    typed = re.compile(r"""has_perm\(\s*f?["']|["']evaluations\.(view|add|change|delete|submit|review|publish|import|export)_""")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for package in ("evaluations", "indicators", "common", "config")
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts and path.name != "access.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if typed.search(line)
    ]
    assert offenders == []


def test_permission_and_superuser_checks_are_asked_of_the_access_module():
    """Who holds a permission (active users only) and who is unrestricted is written once."""
    asked = re.compile(r"\.has_perm\(|\bis_superuser\b(?!\s*=)")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for package in ("evaluations", "indicators", "common", "config")
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts and path.name != "access.py"
        # ensure_admin makes a superuser; it does not ask whether one is.
        and path.name != "ensure_admin.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if asked.search(line)
    ]
    assert offenders == []


def test_an_inactive_superuser_is_not_unrestricted():
    from evaluations.workflow import may_set_status

    root = UserFactory(username="gone", is_superuser=True, is_active=False)
    assert not access.is_unrestricted(root)
    assert not may_set_status(root, Report())
    assert may_set_status(None, Report())
    assert may_set_status(UserFactory(username="root2", is_superuser=True), Report())


# --- Years: created only by those who may, never beyond next year ----------------------------


def test_copy_forward_creates_a_year_only_for_those_who_may(data_entry_user, reviewer):
    report = ReportFactory(fiscal_year=FiscalYearFactory(year=2023))
    report.department.staff.add(data_entry_user)
    with pytest.raises(ValidationError, match="2024年度尚未设立；请审核人先在“自评报告”列表页开放该年度填报"):
        copy_report_forward(report, 2024, user=data_entry_user)
    assert not FiscalYear.objects.filter(year=2024).exists()
    assert copy_report_forward(report, 2024, user=reviewer).fiscal_year.year == 2024


def test_copy_forward_stops_at_next_year_as_the_import_does(superuser):
    """Copying forward chained one year after another (to 2029 and on); the import refused
    any year beyond next year. Both now follow access.why_not_create_year."""
    latest = access.latest_new_year()
    report = ReportFactory(fiscal_year=FiscalYearFactory(year=latest))
    with pytest.raises(ValidationError, match=f"{latest + 1}年度尚未设立，且晚于{latest}年度"):
        copy_report_forward(report, latest + 1, user=superuser)
    assert not FiscalYear.objects.filter(year=latest + 1).exists()
    assert latest == timezone.localdate().year + 1


def test_a_clerks_import_creates_no_year():
    d1 = DepartmentFactory(code="d1")
    clerk = user_in("data_entry", "clerk-year")
    d1.staff.add(clerk)
    csv = "year,department_code,code,name,funding_source\r\n2024,d1,p1,项目一,general\r\n".encode()
    result = import_file(ds.PROJECTS, csv, user=clerk)
    assert [str(e) for e in result.errors] == ["第 2 行，“year”列：2024 年度尚未设立；请审核人先在“自评报告”列表页开放该年度填报。"]
    assert not FiscalYear.objects.exists() and not Project.objects.exists()
    reviewer = user_in("reviewer", "reviewer-year")
    assert import_file(ds.PROJECTS, csv, user=reviewer).ok
    assert FiscalYear.objects.get().year == 2024
    assert import_file(ds.PROJECTS, csv.replace(b"p1", b"p2"), user=clerk).ok  # the year exists now


def test_new_reports_only_in_open_years_for_everyone_but_the_command_line(superuser):
    closed = FiscalYearFactory(year=2024, is_open=False)
    assert not access.takes_new_reports(closed, superuser)
    assert access.takes_new_reports(closed, None)
    report = ReportFactory(fiscal_year=FiscalYearFactory(year=2023))
    with pytest.raises(ValidationError, match="2024年度未开放填报"):
        copy_report_forward(report, 2024, user=superuser)
    assert not Report.objects.filter(fiscal_year=closed).exists()
