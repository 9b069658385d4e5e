"""The official files built and stored: at publication, at a first download, on demand.

Publishing a revision writes its Word, PDF and 自评表 files once the transition commits
(``after_publication``, called by workflow.py) as ``ReportDocument`` rows (models/documents.py),
never rewritten. A published revision with no stored file (the sample loader publishes
directly, or its generation failed) is built at its first download. Drafts are built each
time and never stored (docs/design.md, "Official documents").
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, close_old_connections, connections, transaction
from django.utils import timezone

from evaluations.documents.storage import KINDS
from evaluations.models import Report, ReportDocument

logger = logging.getLogger(__name__)


def builders() -> dict[str, Callable]:
    from evaluations.documents.pdf import build_pdf
    from evaluations.documents.word import build_docx
    from evaluations.documents.workbook import build_xlsx

    return {"docx": build_docx, "pdf": build_pdf, "xlsx": build_xlsx}


def build(report: Report, kinds=tuple(KINDS)) -> dict[str, bytes]:
    """The files of ``report`` as it stands now, rendered from one view-model."""
    from evaluations.documents.content import article, load_report

    loaded = load_report(report.pk)
    content = article(loaded)
    make = builders()
    return {kind: make[kind](content) for kind in kinds}


def build_targets(report: Report, kind: str) -> bytes:
    """The approved 绩效目标表 of ``report`` (from ``public.targets.approved_targets``) as
    Word or PDF, through the same builders as the report."""
    from evaluations.documents.content import targets_article

    return builders()[kind](targets_article(report))


def store(report: Report) -> list[ReportDocument]:
    """Write the files of a published report's current revision that are not stored yet."""
    have = set(
        ReportDocument.objects.filter(report=report, revision=report.revision)
        .values_list("kind", flat=True)
    )
    missing = [kind for kind in KINDS if kind not in have]
    if report.status != Report.Status.PUBLISHED or not missing:
        return []
    files = build(report, missing)
    written = []
    for kind, content in files.items():
        document = ReportDocument(
            report=report, revision=report.revision, kind=kind,
            size=len(content), sha256=hashlib.sha256(content).hexdigest(),
        )
        document.file.save(KINDS[kind].filename, ContentFile(content), save=False)
        try:
            with transaction.atomic():
                document.save()
        except IntegrityError:  # another process stored it first: keep theirs
            document.file.delete(save=False)
            continue
        written.append(document)
    if written:
        # The report page lists the files with their SHA-256: move its version stamp
        # (public/stamp.py reads updated_at) so a page cached before they existed is redone.
        Report.objects.filter(pk=report.pk).update(updated_at=timezone.now())
    return written


def published_file(report: Report, kind: str, revision: int | None) -> ReportDocument | None:
    """The stored file of a published revision (the current one is built when missing)."""
    wanted = report.revision if revision is None else revision
    if wanted > report.revision or wanted < 1:
        return None
    found = ReportDocument.objects.filter(report=report, revision=wanted, kind=kind).first()
    if found is None and wanted == report.revision:
        store(report)
        found = ReportDocument.objects.filter(report=report, revision=wanted, kind=kind).first()
    return found


def after_publication(report_id: int) -> None:
    """Once the publication commits, write the new revision's files.

    ``DOCUMENTS_AT_PUBLICATION``: ``thread`` (the default: a PDF of hundreds of pages takes
    minutes, which the reviewer's request should not wait for), ``now`` (in the caller, as
    tests want) or ``off`` (the first download builds them).
    """
    mode = getattr(settings, "DOCUMENTS_AT_PUBLICATION", "thread")
    if mode == "off":
        return
    if mode == "now":
        transaction.on_commit(lambda: _store_quietly(report_id))
        return
    transaction.on_commit(lambda: threading.Thread(
        target=_store_in_thread, args=(report_id,), name=f"documents-{report_id}", daemon=True,
    ).start())


def _store_in_thread(report_id: int) -> None:
    try:
        close_old_connections()
        _store_quietly(report_id)
    finally:
        connections.close_all()  # this thread's connections go back to the pool


def _store_quietly(report_id: int) -> None:
    try:
        report = Report.objects.select_related("department", "fiscal_year").get(pk=report_id)
        store(report)
    except Exception:  # the first download builds what failed here
        logger.exception("official documents: cannot write the files of report %s", report_id)
