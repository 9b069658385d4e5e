"""The report's change form: a version token so that two tabs on one report cannot silently
overwrite each other (issue 15, item 14).

The token is the report's ``updated_at`` as the page loaded it, in a hidden input. Every save
of the report or of any of its rows moves ``updated_at`` (``workflow.editing``/``mark_edited``),
so a save whose token is no longer current is refused, with what changed meanwhile, by whom
and when, read from the history. The refused page carries the current token: saving it again
is a deliberate overwrite. A post without a token (a script) is not checked.
"""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.formatting import join_names
from evaluations.models import BudgetExecution, OutcomeNarrative, Project, ProjectFund, Report
from indicators.models import Indicator

# Bookkeeping that moves with every change; naming it would tell the reader nothing.
UNTOLD_FIELDS = ["updated_at", "created_at"]
ROW_MODELS = [BudgetExecution, Project, ProjectFund, OutcomeNarrative, Indicator]


def edit_token(report: Report) -> str:
    return report.updated_at.isoformat() if report.updated_at else ""


def _since(token: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(token)
    except ValueError:
        return None
    return when if timezone.is_aware(when) else None


def _who_and_when(records) -> dict:
    users = [str(r.history_user) for r in records if r.history_user is not None]
    last = max(r.history_date for r in records)
    return {
        "who": join_names(list(dict.fromkeys(users))) or gettext("未知用户"),
        "when": date_format(timezone.localtime(last), "Y-m-d H:i:s"),
    }


def _report_changes(report: Report, since: datetime) -> list[str]:
    """The report's own fields changed after ``since``, from its history records."""
    history = report.history.select_related("history_user")
    later = list(history.filter(updated_at__gt=since).order_by("history_date", "history_id"))
    if not later:
        return []
    previous = history.filter(updated_at__lte=since).order_by("-history_date", "-history_id").first()
    names: list[str] = []
    for record in later:
        if previous is not None:
            delta = record.diff_against(previous, excluded_fields=UNTOLD_FIELDS)
            for change in delta.changes:
                label = str(capfirst(Report._meta.get_field(change.field).verbose_name))
                if label not in names:
                    names.append(label)
        previous = record
    fields = join_names(names) or gettext("报告")
    return [gettext("%(fields)s（%(who)s，%(when)s）") % {"fields": fields, **_who_and_when(later)}]


def _row_changes(report: Report, since: datetime) -> list[str]:
    """Rows of the report added, changed or deleted after ``since``, per kind."""
    project_ids = Project.history.filter(report_id=report.pk).values("id")
    lines = []
    for model in ROW_MODELS:
        rows = model.history.select_related("history_user").filter(history_date__gt=since)
        if model is ProjectFund:
            rows = rows.filter(project_id__in=project_ids)
        else:
            rows = rows.filter(report_id=report.pk)
        records = list(rows)
        if records:
            lines.append(
                gettext("%(rows)s %(count)s 处（%(who)s，%(when)s）") % {
                    "rows": capfirst(model._meta.verbose_name_plural),
                    "count": len({r.id for r in records}),
                    **_who_and_when(records),
                }
            )
    return lines


def changes_since(report: Report, token: str) -> list[str]:
    """What changed in the report and its rows since the page carrying ``token`` loaded."""
    since = _since(token)
    if since is None:
        return []
    return _report_changes(report, since) + _row_changes(report, since)


class ReportForm(forms.ModelForm):
    """The report's fields and the version token of the page they were loaded on."""

    edit_token = forms.CharField(label=_("版本标记"), widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["edit_token"].initial = edit_token(self.instance)

    def clean(self):
        cleaned = super().clean()
        posted = (cleaned.get("edit_token") or "").strip()
        # The admin read the instance after locking the report row (ScopedAdminMixin), so
        # its updated_at is the stored one.
        current = edit_token(self.instance) if self.instance.pk else ""
        if posted and posted != current:
            changes = changes_since(self.instance, posted)
            # Re-rendered with the current token: saving this page again overwrites knowingly.
            self.data = self.data.copy()
            self.data[self.add_prefix("edit_token")] = current
            message = gettext("本页打开后，这份报告已被修改，您的修改未保存。")
            if changes:
                message += gettext("修改了：%(changes)s。") % {"changes": "；".join(changes)}
            message += gettext("请核对后再保存；再次保存将以本页内容覆盖这些修改。")
            raise ValidationError(message, code="stale")
        return cleaned
