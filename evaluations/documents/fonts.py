"""report.pdf's fonts: Debian's Noto CJK faces cut down once to GB 2312 (docs/design.md,
"Official documents").

Each Noto CJK face lives in a collection of every CJK region (a 20–27 MB .ttc). WeasyPrint
maps the whole collection and copies it into memory for each PDF before it subsets what the
document used: about 75 MB a PDF for the three faces, the larger part of a PDF's memory. So
the first PDF of a machine cuts each face to the characters of GB 2312 with Latin,
punctuation and symbols (HarfBuzz's subsetter: under a second a face, 3.5–5 MB each),
kept in ``DOCUMENT_FONT_DIR`` (the system's temporary directory by default) under a name
that changes when the font or the character list does. The stylesheet's ``@font-face``
rules for "Report Serif" and "Report Sans" load the cut face first; their "… Full" twins keep
the whole face second in every font list, so a character outside GB 2312 (董家塅's 塅)
still prints, from the full face, in the documents that have one. Without HarfBuzz's
subsetter or fontconfig the stylesheet keeps its ``local()`` faces and nothing changes.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

CHARACTERS_VERSION = 1  # part of the files' names: bump when characters() changes
EXTRA_RANGES = (
    (0x20, 0x7E), (0xA0, 0x24F),  # Latin
    (0x2000, 0x2BFF),  # punctuation, letter-like symbols, arrows, mathematical operators (≥ ≤), ①
    (0x3000, 0x30FF),  # CJK symbols and punctuation
    (0xFE30, 0xFE4F), (0xFF00, 0xFFEF),  # CJK compatibility and full-width forms
)
# The subset rules of report.css: "Report Serif"/"Report Sans", not their "… Full" twins.
SUBSET_RULE = re.compile(
    r'(@font-face \{ font-family: "Report (?:Serif|Sans)";[^}]*?src: )local\("([\w-]+)"\)'
)


def directory() -> Path:
    return Path(getattr(settings, "DOCUMENT_FONT_DIR", "") or
                Path(tempfile.gettempdir()) / "jixiao-document-fonts")


def with_subsets(css: str) -> str:
    """``css`` with each subset rule loading its cut face before the system's."""
    def rule(match: re.Match) -> str:
        path = subset(match.group(2))
        if path is None:
            return match.group(0)
        return f'{match.group(1)}url("{path.as_uri()}"), local("{match.group(2)}")'

    return SUBSET_RULE.sub(rule, css)


@functools.cache
def characters() -> tuple[int, ...]:
    """GB 2312's characters and EXTRA_RANGES, sorted."""
    found = {c for first, last in EXTRA_RANGES for c in range(first, last + 1)}
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                found.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return tuple(sorted(found))


def subset(postscript_name: str) -> Path | None:
    """The cut face of ``postscript_name``, made on first use; None if it cannot be."""
    try:
        source, index = _locate(postscript_name)
        stat = source.stat()
        key = hashlib.sha256(
            f"{source}|{index}|{stat.st_size}|{stat.st_mtime_ns}|{CHARACTERS_VERSION}".encode()
        ).hexdigest()[:16]
        target = directory() / f"{postscript_name}-{key}.otf"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f"{target.name}.{os.getpid()}.part")
            # In a process of its own: HarfBuzz's working memory (~90 MB) is not kept by a
            # server or export worker that lives on.
            subprocess.run(  # noqa: S603 (this interpreter and this module)
                [sys.executable, "-m", "evaluations.documents.fonts", str(source), str(index),
                 str(partial)],
                cwd=settings.BASE_DIR, check=True, timeout=300, capture_output=True,
            )
            os.replace(partial, target)  # another process may have written it too: the same bytes
        return target
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        logger.warning("report.pdf: the full %s face is used (%s)", postscript_name, exc)
        return None


def _locate(postscript_name: str) -> tuple[Path, int]:
    """The font file and face index fontconfig has for ``postscript_name``."""
    command = shutil.which("fc-match")
    if command is None:
        raise OSError("fontconfig's fc-match is not installed")
    # The name is one of report.css's (SUBSET_RULE: letters, digits, hyphens), not user text.
    found = subprocess.run(  # noqa: S603
        [command, "-f", "%{file}|%{index}|%{postscriptname}", f":postscriptname={postscript_name}"],
        capture_output=True, text=True, check=True, timeout=30,
    ).stdout.split("|")
    if len(found) != 3 or found[2] != postscript_name:
        raise ValueError(f"fontconfig has no {postscript_name}")
    return Path(found[0]), int(found[1])


@functools.cache
def _harfbuzz():
    from cffi import FFI

    ffi = FFI()
    ffi.cdef("""
        typedef struct hb_blob_t hb_blob_t; typedef struct hb_face_t hb_face_t;
        typedef struct hb_set_t hb_set_t; typedef struct hb_subset_input_t hb_subset_input_t;
        hb_blob_t *hb_blob_create_from_file_or_fail (const char *file_name);
        void hb_blob_destroy (hb_blob_t *blob);
        const char *hb_blob_get_data (hb_blob_t *blob, unsigned int *length);
        hb_face_t *hb_face_create (hb_blob_t *blob, unsigned int index);
        hb_blob_t *hb_face_reference_blob (hb_face_t *face);
        void hb_face_destroy (hb_face_t *face);
        void hb_set_add (hb_set_t *set, uint32_t codepoint);
        hb_subset_input_t *hb_subset_input_create_or_fail (void);
        hb_set_t *hb_subset_input_unicode_set (hb_subset_input_t *input);
        void hb_subset_input_destroy (hb_subset_input_t *input);
        hb_face_t *hb_subset_or_fail (hb_face_t *source, const hb_subset_input_t *input);
    """)
    return ffi, ffi.dlopen("libharfbuzz.so.0"), ffi.dlopen("libharfbuzz-subset.so.0")


def _harfbuzz_subset(source: Path, index: int, wanted: tuple[int, ...]) -> bytes:
    ffi, hb, hb_subset = _harfbuzz()
    blob = hb.hb_blob_create_from_file_or_fail(os.fsencode(source))
    if blob == ffi.NULL:
        raise OSError(f"HarfBuzz cannot read {source}")
    face = hb.hb_face_create(blob, index)
    request = hb_subset.hb_subset_input_create_or_fail()
    cut = out = ffi.NULL
    try:
        unicodes = hb_subset.hb_subset_input_unicode_set(request)
        for codepoint in wanted:
            hb.hb_set_add(unicodes, codepoint)
        cut = hb_subset.hb_subset_or_fail(face, request)
        if cut == ffi.NULL:
            raise ValueError(f"HarfBuzz cannot subset {source}#{index}")
        out = hb.hb_face_reference_blob(cut)
        length = ffi.new("unsigned int *")
        data = ffi.buffer(hb.hb_blob_get_data(out, length), length[0])[:]
    finally:
        for release, handle in ((hb.hb_blob_destroy, out), (hb.hb_face_destroy, cut),
                                (hb_subset.hb_subset_input_destroy, request),
                                (hb.hb_face_destroy, face), (hb.hb_blob_destroy, blob)):
            if handle != ffi.NULL:
                release(handle)
    if len(data) < 1024:
        raise ValueError(f"HarfBuzz made an empty subset of {source}#{index}")
    return data


if __name__ == "__main__":  # subset(): python -m evaluations.documents.fonts FONT INDEX OUT
    Path(sys.argv[3]).write_bytes(_harfbuzz_subset(Path(sys.argv[1]), int(sys.argv[2]), characters()))
