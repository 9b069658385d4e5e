"""An extraction as JSON (``import_report --dry-run``): every figure as the string it was written
as, beside its value in Decimal digits and the sentence it came from."""

from __future__ import annotations

from evaluations.past.extractor import Extraction


def _figure(figure):
    return None if figure is None else figure.as_json()


def as_json(extraction: Extraction, findings=()) -> dict:
    return {
        "title": extraction.title,
        "year": extraction.year,
        "department_name": extraction.department_name,
        "sections_found": extraction.found,
        "sections_missing": extraction.missing,
        "texts": {name: text.as_json() for name, text in extraction.texts.items()},
        "budgets": {
            code: ({"none": budget.none.as_json()} if budget.none else
                   {name: figure.as_json() for name, figure in budget.figures.items()})
            for code, budget in extraction.budgets.items()
        },
        "projects": [
            {"position": p.position, "name": p.name, "funding_source": p.source,
             "expenditure": _figure(p.expenditure),
             "outcome": None if p.outcome is None else p.outcome.as_json(),
             "outcome_amount": _figure(p.outcome_amount)}
            for p in extraction.projects
        ],
        "narratives": [
            {"position": n.position, "headline": n.headline, "body": n.body, "sentence": n.sentence}
            for n in extraction.narratives
        ],
        "targets": [
            {"position": t.position, "name": t.name, "level1": t.level1, "level2": t.level2,
             "nature": t.nature, "nature_words": t.word, "unit": t.unit,
             "target": _figure(t.target), "actual": _figure(t.actual)}
            for t in extraction.targets
        ],
        "flags": [{"code": f.code, "message": f.message, "sentence": f.sentence}
                  for f in extraction.flags],
        "findings": [{"code": f.code, "severity": f.severity, "message": f.message}
                     for f in findings],
        "unrecognised": extraction.unrecognised,
    }
