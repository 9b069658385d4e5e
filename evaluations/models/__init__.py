"""Departments, fiscal years and the self-evaluation report (绩效自评报告) with its figures.

One module per group of models; every model is importable from ``evaluations.models``.
"""

from evaluations.models.cycle import (
    Attachment,
    Finding,
    Recheck,
    RecheckSample,
    Recommendation,
)
from evaluations.models.documents import ReportDocument, StoredRows
from evaluations.models.fields import AMOUNT, ZERO, amount_field, amount_names, non_negative
from evaluations.models.figures import BudgetExecution, OutcomeNarrative, Project, ProjectFund
from evaluations.models.monitoring import (
    Light,
    MonitoringOverview,
    MonitoringProgress,
    MonitoringRound,
    MonitoringSpending,
    Outlook,
)
from evaluations.models.reference import Department, FiscalYear, FundingSource, parent_loop
from evaluations.models.report import Report, ReportEvent, ReportQuerySet
from evaluations.models.targets import TARGET_FIELDS, TargetAdjustment, TargetsEvent, target_fields
from evaluations.models.uploads import PendingImport

__all__ = [
    "AMOUNT", "ZERO", "Attachment", "BudgetExecution", "Department", "FiscalYear", "FundingSource",
    "Finding", "OutcomeNarrative", "PendingImport", "Project", "ProjectFund", "Recheck",
    "RecheckSample", "Recommendation", "Report", "ReportDocument", "ReportEvent", "ReportQuerySet",
    "StoredRows",
    "amount_field", "amount_names", "non_negative", "parent_loop",
    "TARGET_FIELDS", "TargetAdjustment", "TargetsEvent", "target_fields",
    "Light", "MonitoringOverview", "MonitoringProgress", "MonitoringRound", "MonitoringSpending",
    "Outlook",
]
