"""The admin is the data-entry product: reports with their figures, indicators, reference data.

``admin.autodiscover()`` imports this package; the modules below register their ModelAdmins.
"""

from evaluations.admin import indicators, reports, rule_sets  # noqa: F401  (registration)
