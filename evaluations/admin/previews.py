"""How an import's preview names its actions and shows a value, for the data import's rows
(admin/imports.py) and the 自评表 workbook's (admin/workbook_import.py) alike."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from evaluations.admin.figures import figure
from evaluations.imports.results import NEW, SKIP, UPDATE

ACTION_LABELS = {NEW: _("新增"), UPDATE: _("更新"), SKIP: _("未变")}


def shown(value, described=None) -> str:
    """A value as the preview prints it: a code as its label (``described``: the model field
    or the dataset's column, each knowing its choices), yes or no as 是/否, a figure as the
    admin shows it ("392.69 → 100.00", not "392.6900")."""
    if isinstance(value, bool):
        return gettext("是") if value else gettext("否")
    if value not in (None, "") and described is not None:
        labels = dict(getattr(described, "flatchoices", None) or getattr(described, "choices", None) or ())
        if value in labels:
            return str(labels[value])
    return figure(value)
