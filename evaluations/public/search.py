"""Search results with a snippet of where each report mentions the words (issue 14.12).

The snippet is cut from the text that matched — the report's own sections, else a project's
or a 绩效情况 paragraph, fetched for all results in two queries — and every piece of it is
escaped before the matches are wrapped in ``<mark>``: user text is never marked safe as is.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from evaluations.models import OutcomeNarrative, Project, Report

REPORT_FIELDS = ("title", "profile", "goals", "overall_summary", "problems", "improvements",
                 "result_application", "other_matters")
CONTEXT = 36  # characters shown either side of the first match


@dataclass
class Result:
    report: Report
    snippet: SafeString


def highlight(text: str, query: str, *, context: int = CONTEXT) -> SafeString:
    """The part of ``text`` around the first ``query`` (any case), escaped, matches marked."""
    folded, needle = text.casefold(), query.casefold()
    at = folded.find(needle)
    if not needle or at < 0:
        return SafeString("")
    start, end = max(0, at - context), min(len(text), at + len(query) + context)
    piece, folded_piece = text[start:end], folded[start:end]
    out, i = [], 0
    while (j := folded_piece.find(needle, i)) >= 0:
        out.append(escape(piece[i:j]))
        out.append(f"<mark>{escape(piece[j:j + len(query)])}</mark>")
        i = j + len(query)
    out.append(escape(piece[i:]))
    prefix, suffix = ("…" if start > 0 else ""), ("…" if end < len(text) else "")
    return mark_safe(prefix + "".join(out) + suffix)  # noqa: S308 (every piece escaped above)


def _first_match(texts, query: str) -> SafeString:
    for text in texts:
        if text and query.casefold() in text.casefold():
            return highlight(" ".join(text.split()), query)
    return SafeString("")


def with_snippets(reports: list[Report], query: str) -> list[Result]:
    """Each report with the snippet of its first mention of ``query``, in two more queries."""
    ids = [r.pk for r in reports]
    elsewhere: dict[int, list[str]] = {}
    projects = Project.objects.filter(report__in=ids).filter(
        Q(name__icontains=query) | Q(outcome__icontains=query) | Q(goal__icontains=query)
    ).order_by("position", "pk").values_list("report_id", "name", "outcome", "goal")
    narratives = OutcomeNarrative.objects.filter(report__in=ids).filter(
        Q(headline__icontains=query) | Q(body__icontains=query)
    ).order_by("position").values_list("report_id", "headline", "body")
    for report_id, *texts in [*projects, *narratives]:
        elsewhere.setdefault(report_id, []).extend(texts)
    results = []
    for report in reports:
        texts = [getattr(report, name) for name in REPORT_FIELDS]
        texts += [report.department.name, *elsewhere.get(report.pk, [])]
        results.append(Result(report, _first_match(texts, query)))
    return results
