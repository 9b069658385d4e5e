"""Signing in to the admin in a browser test, as every admin page test does first."""

from __future__ import annotations

PASSWORD = "correct horse battery staple"  # noqa: S105 (test users only)


def sign_in(page, base_url: str, username: str = "root", password: str = PASSWORD) -> None:
    """Sign ``page`` in through the login form and wait for the admin's index."""
    page.goto(base_url + "/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
