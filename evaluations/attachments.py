"""Attachments (附件): which files are taken, found by their content, and how they are served.

PDF, Word (.docx), Excel (.xlsx), PNG and JPEG up to ATTACHMENT_MAX_BYTES. The type is read
from the bytes (a signature, or for Word and Excel the parts inside the zip), never from the
name, so an .exe renamed .pdf, an SVG or an HTML page is refused; so are macro-enabled Office
files and the old binary .doc/.xls (one container format for many things, installers too).
The uploader's name is kept as text only: the stored file gets a random name, and downloads
are sent as attachments with ``nosniff`` and a sandboxing CSP (docs/design.md, "Attachments").

A stored file lives as long as a row names it (``connect``): when an attachment row is deleted,
on its own or with its report, project, indicator or finding, or its file is replaced, the
file is removed once the transaction has committed, unless another row still names it.
"""

from __future__ import annotations

import hashlib
import unicodedata
import zipfile
from dataclasses import dataclass
from functools import partial
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage
from django.db import transaction
from django.db.models.signals import post_delete, pre_save
from django.http import FileResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from evaluations.models import Attachment

Kind = Attachment.Kind

CONTENT_TYPES = {
    Kind.PDF: "application/pdf",
    Kind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    Kind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    Kind.PNG: "image/png",
    Kind.JPEG: "image/jpeg",
}
SIGNATURES = ((b"%PDF-", Kind.PDF), (b"\x89PNG\r\n\x1a\n", Kind.PNG), (b"\xff\xd8\xff", Kind.JPEG))
# The part that makes an Office zip a Word document or a workbook.
OFFICE_PARTS = (("word/document.xml", Kind.DOCX), ("xl/workbook.xml", Kind.XLSX))
MAX_NAME = 200
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Inspected:
    kind: str
    size: int
    sha256: str
    filename: str


def max_bytes() -> int:
    return settings.ATTACHMENT_MAX_BYTES


def clean_name(name: str) -> str:
    """The uploader's file name as text to show and send back; refused when it holds path
    parts or control characters (a browser never sends them; a crafted request does)."""
    if not name or "/" in name or "\\" in name or name in (".", ".."):
        raise ValidationError(_("文件名无效：不能包含路径（/ 或 \\）。"), code="name")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        raise ValidationError(_("文件名无效：含有控制字符。"), code="name")
    if len(name) > MAX_NAME:
        raise ValidationError(_("文件名过长（最多 %(max)s 个字符）。") % {"max": MAX_NAME}, code="name")
    return name


def _refused() -> ValidationError:
    return ValidationError(
        _("只接受 PDF、Word（.docx）、Excel（.xlsx）、PNG 和 JPEG 文件；按文件内容判断，该文件不是其中之一"
          "（旧版 .doc/.xls 请另存为 .docx/.xlsx）。"),
        code="type",
    )


def _office_kind(upload) -> str:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" not in names:
                raise _refused()
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                raise ValidationError(_("不接受含宏的 Office 文件。"), code="macro")
            for part, kind in OFFICE_PARTS:
                if part in names:
                    return kind
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _refused() from None
    raise _refused()


def kind_of(upload) -> str:
    """The attachment kind the content shows; ValidationError when it is none of them."""
    upload.seek(0)
    head = upload.read(16)
    for signature, kind in SIGNATURES:
        if head.startswith(signature):
            return kind
    if head.startswith(b"PK\x03\x04"):
        return _office_kind(upload)
    raise _refused()


def inspect(upload, name: str | None = None) -> Inspected:
    """Size, name, type by content and SHA-256 of an uploaded file, or ValidationError."""
    filename = clean_name(name if name is not None else upload.name)
    size = upload.size
    if size > max_bytes():
        raise ValidationError(
            _("文件大小 %(size)s MB，超过 %(max)s MB 的上限。")
            % {"size": f"{size / 1024 / 1024:.1f}", "max": max_bytes() // (1024 * 1024)},
            code="size",
        )
    if size == 0:
        raise ValidationError(_("文件是空的。"), code="empty")
    kind = kind_of(upload)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(CHUNK), b""):
        digest.update(chunk)
    upload.seek(0)
    return Inspected(kind, size, digest.hexdigest(), filename)


def download_name(attachment: Attachment) -> str:
    """The uploader's name with the extension of the type found (a PDF named .docx is a .pdf)."""
    return f"{PurePosixPath(attachment.filename).stem or attachment.title}.{attachment.kind}"


def serve(attachment: Attachment) -> FileResponse:
    """The file as a download: never rendered by the browser, never sniffed."""
    response = FileResponse(
        attachment.file.open("rb"), content_type=CONTENT_TYPES[attachment.kind]
    )
    response["Content-Disposition"] = content_disposition_header(True, download_name(attachment))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "no-cache"
    return response


# --- Stored files follow their rows ---------------------------------------------------------


def remove_unreferenced(storage: Storage, name: str, using: str = "default") -> bool:
    """Delete the stored file ``name`` unless an attachment row still names it; True when it
    was deleted (or already gone). Run after the deleting transaction commits: a deletion
    rolled back keeps its file."""
    if Attachment.objects.using(using).filter(file=name).exists():
        return False
    storage.delete(name)  # FileSystemStorage.delete: a file already gone is not an error
    return True


def _after_commit(storage: Storage, name: str, using: str) -> None:
    if name:
        transaction.on_commit(partial(remove_unreferenced, storage, name, using), using=using)


def _row_deleted(sender, instance: Attachment, using: str, **kwargs) -> None:
    # Sent for cascades too: a receiver keeps Django's collector from deleting attachments
    # with one bare DELETE when their report, project, indicator or finding goes.
    _after_commit(instance.file.storage, instance.file.name, using)


def _file_replaced(sender, instance: Attachment, using: str, raw: bool = False, **kwargs) -> None:
    if raw or instance.pk is None:
        return
    old = Attachment.objects.using(using).filter(pk=instance.pk).values_list("file", flat=True).first()
    if old and old != instance.file.name:
        _after_commit(instance.file.storage, old, using)


def connect() -> None:
    """Called once from the app's ready(): stored files follow the attachment rows."""
    post_delete.connect(_row_deleted, sender=Attachment, dispatch_uid="attachments.row_deleted")
    pre_save.connect(_file_replaced, sender=Attachment, dispatch_uid="attachments.file_replaced")
