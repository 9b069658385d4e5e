"""Issue 14.8: the admin in Chinese throughout, the site's own 404 and 500 pages, and
downloads named in Chinese with their year and dataset. Issue 14.12: no banner on commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.test import RequestFactory
from django.urls import reverse

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_the_admins_javascript_catalog_is_chinese(client, superuser):
    """The filter_horizontal widget's strings come from jsi18n; Django 5.2's lack these."""
    client.force_login(superuser)
    content = client.get("/admin/jsi18n/").content.decode()
    for english, chinese in [
        ("Choose all %s", "选择全部%s"), ("Remove all %s", "移除全部%s"),
        ('Choose %s by selecting them and then select the \\"Choose\\" arrow button.',
         "选中左侧的%s，再点击“选择”箭头按钮。"),
    ]:
        escaped = chinese.encode("ascii", "backslashreplace").decode().replace("\\u", "\\u")
        assert f'"{english}": "{escaped}"' in content, english


def test_the_admin_index_and_user_form_have_no_english(client, superuser):
    client.force_login(superuser)
    index = client.get("/admin/").content.decode()
    assert "登录安全" in index and ">Axes<" not in index
    add_user = client.get(reverse("admin:auth_user_add")).content.decode()
    assert "After you" not in add_user and "创建用户后" in add_user


def test_a_missing_page_is_the_sites_own_404(client):
    response = client.get("/reports/1999/nowhere/")
    assert response.status_code == 404
    content = response.content.decode()
    assert "页面不存在" in content and "绩效自评报告公开" in content and 'lang="zh-hans"' in content
    assert "Not Found" not in content


def test_a_server_error_is_the_sites_own_500():
    from config.middleware import server_error

    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    content = response.content.decode()
    assert "服务器出错" in content and "绩效自评报告公开" in content and "Server Error" not in content


def test_downloads_are_named_in_chinese_with_year_and_dataset(client, auditor, sample_report):
    client.force_login(auditor)
    response = client.get(reverse("evaluations:exports", args=["indicators"]), {"year": "2022"})
    disposition = response["Content-Disposition"]
    assert 'filename="indicators-2022.csv"' in disposition  # for clients without filename*
    assert f"filename*=UTF-8''{quote('2022年度绩效指标.csv')}" in disposition
    public = client.get(reverse("evaluations:data_csv", args=[2022, "projects"]))
    assert f"filename*=UTF-8''{quote('2022年度项目支出.csv')}" in public["Content-Disposition"]


def test_commands_print_no_axes_banner():
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": "sqlite:///:memory:"}
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=120, check=True,
    )
    assert "AXES" not in done.stdout + done.stderr


def test_a_refused_page_is_the_sites_own_403(client, data_entry_user):
    """A clerk opening an export or the users' list got a bare English "403 Forbidden"."""
    client.force_login(data_entry_user)
    for url in (reverse("evaluations:exports", args=["indicators"]), reverse("admin:auth_user_changelist")):
        response = client.get(url)
        assert response.status_code == 403, url
        content = response.content.decode()
        assert "无权访问" in content and 'lang="zh-hans"' in content and "Forbidden" not in content
        assert reverse("admin:index") in content  # the way back for staff
