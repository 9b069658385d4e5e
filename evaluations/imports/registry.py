"""Every dataset's import plan by dataset name (``PLANS``), for the importer.

The plans build on ``plans.py`` (the shared DatasetPlan and the reference datasets'), with the
indicators', the year after's and the targets' and monitoring's in their own modules; this
module gathers them, so none of those imports back (no import cycle).
"""

from __future__ import annotations

from evaluations.imports.cycle_plans import FindingsPlan, RechecksPlan, RecommendationsPlan
from evaluations.imports.indicator_plans import IndicatorsPlan
from evaluations.imports.plans import (
    BudgetExecutionsPlan,
    DatasetPlan,
    DepartmentsPlan,
    NarrativesPlan,
    ProjectFundsPlan,
    ProjectsPlan,
    ReportsPlan,
)
from evaluations.imports.target_plans import TARGET_PLANS

PLANS: dict[str, type[DatasetPlan]] = {
    plan.dataset.name: plan
    for plan in (
        DepartmentsPlan, ReportsPlan, BudgetExecutionsPlan, ProjectsPlan, ProjectFundsPlan,
        NarrativesPlan, IndicatorsPlan, FindingsPlan, RecommendationsPlan, RechecksPlan,
        *TARGET_PLANS,
    )
}
