"""Isolation probes added in review: paths the first round of probes did not try."""

import pytest
from django.contrib.contenttypes.models import ContentType

from tests.evaluations.workflow_setup import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def shortcut_url(obj) -> str:
    return f"/admin/r/{ContentType.objects.get_for_model(obj).pk}/{obj.pk}/"


def test_view_on_site_shortcut_is_scoped(client, data_entry_user, reviewer):
    world = build_world(data_entry_user)
    client.force_login(data_entry_user)
    for obj in (world.report_b, world.report_b.department):
        assert client.get(shortcut_url(obj)).status_code == 404
    own = client.get(shortcut_url(world.report_a.department))
    assert own.status_code == 302
    assert own["Location"].endswith("/departments/dept-a/")
    assert client.get("/admin/r/999999/1/").status_code == 404
    assert client.get(f"/admin/r/{ContentType.objects.get_for_model(world.report_a).pk}/x/").status_code == 404

    client.force_login(reviewer)
    assert client.get(shortcut_url(world.report_b))["Location"].endswith("/reports/2023/dept-b/")


def test_malformed_ids_in_history_addresses_answer_404(client, data_entry_user):
    world = build_world(data_entry_user)
    client.force_login(data_entry_user)
    report = world.report_a
    for url in (
        "/admin/evaluations/report/abc/history/",
        "/admin/evaluations/report/abc/history/1/",
        f"/admin/evaluations/report/{report.pk}/history/abc/",
        "/admin/evaluations/department/abc/history/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/admin/evaluations/report/{report.pk}/history/").status_code == 200
    version = report.history.first().history_id
    assert client.get(f"/admin/evaluations/report/{report.pk}/history/{version}/").status_code == 200


def test_view_on_site_button_only_for_published_reports(client, reviewer):
    from evaluations import workflow
    from evaluations.models import Report
    from tests.evaluations.workflow_setup import passing_report
    from tests.factories import DepartmentFactory

    report = passing_report(DepartmentFactory(code="pub", name="公开部门"))
    client.force_login(reviewer)
    url = f"/admin/evaluations/report/{report.pk}/change/"
    assert "/reports/2023/pub/" not in client.get(url).content.decode()
    Report.objects.filter(pk=report.pk).update(status="approved")
    workflow.publish_report(report, reviewer)
    assert 'href="/reports/2023/pub/"' in client.get(url).content.decode()
