"""`make run` prints a superuser with a fresh password, at the address the site serves on."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_prints_a_working_password_at_the_given_address():
    out = io.StringIO()
    call_command("ensure_admin", "--site", "http://127.0.0.1:8123/", stdout=out)
    line = out.getvalue()
    assert "http://127.0.0.1:8123/admin/" in line
    password = re.search(r"password: (\S+)", line).group(1)
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(password)
    call_command("ensure_admin", stdout=io.StringIO())  # again: a new password, same user
    admin.refresh_from_db()
    assert not admin.check_password(password)
    assert get_user_model().objects.count() == 1
