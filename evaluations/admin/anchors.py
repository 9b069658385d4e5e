"""Where on the change form each consistency finding is fixed (docs/design.md, "Admin pages at 1,280 px").

A finding's message links to the field it names (``#id_…``): following the link scrolls the
field into view and admin.css highlights it (``:target``), without JavaScript. The checks
say which row and field a finding is about (evaluations/checks/); this module only turns
that into the id Django gives the input on the page being shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from evaluations import checks
from evaluations.models import Project
from indicators.models import Indicator

# The field a finding about a row asks to fill in.
ROW_FIELDS = {
    checks.DEVIATION_MISSING: (Indicator, "deviation"),
    checks.RESULT_MISSING: (Indicator, "actual_value"),
    checks.WEIGHTS_MISMATCH: (Indicator, "weight"),  # the table's first weighted row
    checks.SCORE_OUT_OF_BAND: (Indicator, "score"),
    checks.OUTCOME_MISSING: (Project, "outcome"),
}
# Findings about the object of the page itself: its own field.
OWN_FIELDS = {
    checks.EXECUTION_EXPLANATION_MISSING: "execution_explanation",
}


@dataclass(frozen=True)
class LinkedFinding:
    """A finding with the id of the input to fix ("" when it is not on this page)."""

    finding: checks.Finding
    anchor: str

    @property
    def code(self) -> str:
        return self.finding.code

    @property
    def message(self) -> str:
        return self.finding.message


def _prefixes(inline_admin_formsets) -> dict[tuple[type, int], str]:
    """(model, pk) → the inline form's prefix, for every saved row the page's inlines show."""
    found = {}
    for inline in inline_admin_formsets or ():
        formset = inline.formset
        for form in formset.forms:
            if form.instance.pk is not None:
                found[(formset.model, form.instance.pk)] = form.prefix
    return found


def _anchor(finding: checks.Finding, prefixes: dict, page_project_id: int | None) -> str:
    own = finding.project_id == page_project_id
    if finding.code == checks.SECTION_MISSING and page_project_id is None:
        return f"id_{finding.figures['field']}"
    if finding.code in OWN_FIELDS and own:
        return f"id_{OWN_FIELDS[finding.code]}"
    if finding.code == checks.OUTCOME_MISSING and own:
        return "id_outcome"
    if finding.code in OWN_FIELDS and finding.project_id is not None:
        # A project's own field, on the report page: in the project's row.
        prefix = prefixes.get((Project, finding.project_id))
        if prefix:
            return f"id_{prefix}-{OWN_FIELDS[finding.code]}"
    if finding.code in ROW_FIELDS:
        model, field = ROW_FIELDS[finding.code]
        pk = finding.indicator_id if model is Indicator else finding.project_id
        prefix = prefixes.get((model, pk))
        if prefix:
            return f"id_{prefix}-{field}"
    return ""


def link_findings(
    findings: list[checks.Finding], inline_admin_formsets, *, project_id: int | None = None,
) -> list[LinkedFinding]:
    """The findings, each with the input to fix on this page (a report's, or ``project_id``'s)."""
    prefixes = _prefixes(inline_admin_formsets)
    return [LinkedFinding(f, _anchor(f, prefixes, project_id)) for f in findings]
