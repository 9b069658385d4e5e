"""How an import's preview names its actions and shows a value, for the data import's rows
(admin/imports.py) and the 自评表 workbook's (admin/workbook_import.py) alike."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from evaluations.admin.figures import figure
from evaluations.imports.results import NEW, SKIP, UPDATE

ACTION_LABELS = {NEW: _("新增"), UPDATE: _("更新"), SKIP: _("未变")}


def shown(value) -> str:
    """A value as the preview prints it: a figure as the admin shows it ("392.69 → 100.00",
    not "392.6900")."""
    return figure(value)
