"""`/reports/<year>/<department_code>/attachments/<id>/`: a public attachment of a published
report. Anything else — a draft's, a private one, another report's id — is a 404."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from evaluations import attachments
from evaluations.models import Attachment, Report


@require_GET
def attachment(request: HttpRequest, year: int, department_code: str, pk: int) -> FileResponse:
    item = get_object_or_404(
        Attachment, pk=pk, public=True, report__status=Report.Status.PUBLISHED,
        report__fiscal_year__year=year, report__department__code=department_code,
    )
    return attachments.serve(item)
