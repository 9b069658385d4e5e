"""What a check finds (docs/design.md, "Consistency checks"): a ``Finding`` with its stable code
and severity. Codes are stable for tests, exports and anyone filtering findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _lazy

ERROR = "error"
WARNING = "warning"
ZERO = Decimal("0")

# Codes, stable for tests, exports and anyone filtering findings.
NEGATIVE_AMOUNT = "negative_amount"
PROJECTS_SUM = "projects_sum"
PROJECTS_NOT_LISTED = "projects_not_listed"
PROJECT_FUNDS_SUM = "project_funds_sum"
OUTCOME_MISSING = "outcome_missing"
DEVIATION_MISSING = "deviation_missing"
RESULT_MISSING = "result_missing"
EXECUTION_EXPLANATION_MISSING = "execution_explanation_missing"
WEIGHTS_MISMATCH = "weights_mismatch"
SCORE_OUT_OF_BAND = "score_out_of_band"
FINDING_OVERDUE = "finding_overdue"
FINDING_CARRIED_OVER = "finding_carried_over"
TARGETS_IN_REVIEW = "targets_in_review"
ADJUSTMENTS_PENDING = "adjustments_pending"
SECTION_MISSING = "section_missing"

# The sections of the official outline a report must write (docs/design.md, "Consistency
# checks"): the report's field and the section's number and title in the outline. 六（一）
# is also written by its numbered 绩效情况 paragraphs (narratives).
REQUIRED_SECTIONS = (
    ("profile", _lazy("一（一）部门基本情况")),
    ("overall_summary", _lazy("六（一）部门整体支出绩效情况")),
    ("problems", _lazy("七、存在的问题及原因分析")),
    ("improvements", _lazy("八、下一步改进措施")),
    ("result_application", _lazy("九、绩效自评结果拟应用和公开情况")),
)
COST_NOT_LTE = "cost_not_lte"
STORED_SCORES_STALE = "stored_scores_stale"

# Errors about what the targets' approval locks (models/targets.py, TARGET_FIELDS): asked when
# the targets are submitted too (workflow.move_targets), or a table whose weights do not add
# up was approved and then blocked the year-end submission with its 分值 read-only.
TARGET_ERRORS = frozenset({WEIGHTS_MISMATCH})


@dataclass(frozen=True)
class Finding:
    """One thing wrong (error) or worth a look (warning) in a report."""

    code: str
    severity: str
    message: str
    figures: dict[str, Any] = field(default_factory=dict)
    subject: str = ""  # what it is about: a budget, a project, an indicator
    # The project (and indicator) it is about, so a page of one project or one indicator row
    # shows its own findings; None for what belongs to the report as a whole.
    project_id: int | None = None
    indicator_id: int | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

