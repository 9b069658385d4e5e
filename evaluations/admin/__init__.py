"""The admin is the data-entry product: reports with their figures, indicators, reference data.

``admin.autodiscover()`` imports this package; the modules below register their ModelAdmins.
"""

from django.contrib import admin

from evaluations.admin import (  # noqa: F401  (registration)
    cycle,
    figures,
    indicators,
    monitoring,
    people,
    projects,
    reference,
    report_workflow,
    reports,
    result_use,
    rule_sets,
    site,
    targets,
)

# Read-only decimals and change-list columns read as common.formatting writes them.
figures.install()

# After django.contrib.auth's admin (INSTALLED_APPS order): the user page adds clerks.
people.register(admin.site)
