"""The documents' tests print no page address unless they set SITE_URL."""

import pytest


@pytest.fixture(autouse=True)
def _no_site_url(settings):
    settings.SITE_URL = ""
