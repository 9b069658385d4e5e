"""Downloads of the official files: the public's (published revisions, stored) and the admin's.

``/reports/<year>/<code>/report.docx`` (``report.pdf``, ``self-evaluation.xlsx``): the
stored file of the published revision, ``?revision=N`` an earlier one; 404 for anything not
published. ``…/targets.docx`` and ``targets.pdf``: the approved 绩效目标表 page as Word and PDF
(404 until the targets are approved), built from the page and kept in the shared cache under
the report's ``updated_at`` (which approving and adjusting targets move). The admin's
``…/documents/<file>`` builds the files of any report the user may
see (``access.restrict``), marked 草稿 while not published (docs/design.md, "Official
documents").
"""

from __future__ import annotations

import io

from django.conf import settings
from django.core.cache import cache
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404

from evaluations import access
from evaluations.documents.generate import build, build_targets, published_file
from evaluations.documents.storage import BY_FILENAME, KINDS, ascii_download_name, download_name
from evaluations.exports.delivery import attachment
from evaluations.models import Report
from evaluations.public.summaries import published


def _kind(filename: str) -> str:
    kind = BY_FILENAME.get(filename)
    if kind is None:
        raise Http404
    return kind.code


def _revision(request: HttpRequest) -> int | None:
    text = request.GET.get("revision", "").strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 6:
        raise Http404("revision")
    return int(text)


def _attachment(content, report: Report, kind: str, *, revision: int | None = None,
                public: bool = False):
    """The file as a download named in Chinese (RFC 5987 filename*, an ASCII fallback).

    ``revision``: the earlier revision the address names (``?revision=N``), which never
    changes, so caches may keep it, and whose name says which it is. The current revision's
    address (``public``) serves the next revision once one is published: caches keep it
    only to ask again (its ETag answers), or a day-old copy outlived a republication."""
    earlier = revision if revision is not None and revision != report.revision else None
    name = download_name(report, kind, earlier)
    response = FileResponse(content, as_attachment=True, filename=name,
                            content_type=KINDS[kind].content_type)
    response["Content-Disposition"] = attachment(
        ascii_download_name(report, KINDS[kind].filename, earlier), name)
    response["X-Content-Type-Options"] = "nosniff"
    if revision is not None:
        response["Cache-Control"] = "public, max-age=86400"
    elif public:
        response["Cache-Control"] = "public, no-cache"
    else:
        response["Cache-Control"] = "private, no-store"
    return response


def public_document(request: HttpRequest, year: int, department_code: str, filename: str):
    kind = _kind(filename)
    report = get_object_or_404(published(), fiscal_year__year=year, department__code=department_code)
    revision = _revision(request)
    document = published_file(report, kind, revision)
    if document is None:
        raise Http404("revision")
    response = _attachment(document.file.open("rb"), report, kind, revision=revision, public=True)
    response["ETag"] = f'"{document.sha256}"'
    return response


TARGETS_SUFFIX = "绩效目标表"


def targets_document(request: HttpRequest, year: int, department_code: str, extension: str):
    if extension not in ("docx", "pdf"):
        raise Http404
    from evaluations.public.page_cache import code_version
    from evaluations.public.targets import approved_targets

    report = approved_targets(year, department_code)
    key = (f"targets-document:{code_version()}:{report.pk}:{report.updated_at.isoformat()}:"
           f"{extension}")
    keep = settings.PUBLIC_PAGE_CACHE_SECONDS  # 0: no cache, as for the pages
    content = cache.get(key) if keep > 0 else None
    if content is None:
        content = build_targets(report, extension)
        if keep > 0:
            cache.set(key, content, keep)
    name = f"{year}年度{report.department.name}{TARGETS_SUFFIX}.{extension}"
    response = FileResponse(io.BytesIO(content), content_type=KINDS[extension].content_type)
    response["Content-Disposition"] = attachment(
        f"{year}-{report.department.code}-targets.{extension}", name.replace("/", "-").replace("\\", "-"))
    response["X-Content-Type-Options"] = "nosniff"
    return response


def admin_document(request: HttpRequest, object_id: str, filename: str):
    """Any report the user may see; a published one's current revision from storage."""
    kind = _kind(filename)
    reports = access.restrict(Report.objects.select_related("department", "fiscal_year"),
                              request.user, access.VIEW)
    try:
        report = reports.get(pk=int(object_id))
    except (ValueError, Report.DoesNotExist):
        raise Http404 from None
    if report.status == Report.Status.PUBLISHED:
        document = published_file(report, kind, None)
        if document is not None:
            return _attachment(document.file.open("rb"), report, kind)
    content = build(report, (kind,))[kind]
    return _attachment(io.BytesIO(content), report, kind)
