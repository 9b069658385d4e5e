"""The upload size limit, applied while the request body is parsed, before anything keeps it.

The first of FILE_UPLOAD_HANDLERS (config/settings.py): whichever code reads the form first
(the NUL check, the CSRF check, the admin's guard, a view) parses it with the limit in place.
An upload over IMPORT_MAX_UPLOAD_BYTES stops at its first byte, and the rest of the body is
not read; the view learns it from ``request.upload_too_large``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

FORM_OVERHEAD = 64 * 1024  # multipart boundaries and the form's other fields


class UploadLimit(FileUploadHandler):
    """Stops a file larger than the limit before any handler stores a byte of it."""

    def __init__(self, request=None, limit: int | None = None) -> None:
        super().__init__(request)
        self.limit = settings.IMPORT_MAX_UPLOAD_BYTES if limit is None else limit
        self.announced_too_large = False
        if request is not None:
            request.upload_too_large = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.announced_too_large = content_length > self.limit + FORM_OVERHEAD

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        if self.announced_too_large:
            self._refuse()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:  # a body that did not announce its length
            self._refuse()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None

    def _refuse(self) -> None:
        if self.request is not None:
            self.request.upload_too_large = True
        raise StopUpload(connection_reset=True)
