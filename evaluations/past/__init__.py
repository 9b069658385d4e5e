"""Past reports into data: a published report (.txt, .docx) read into a draft report
(docs/design.md, "Past reports into data").

``read_report(data, filename)`` → an ``Extraction`` (reader.py finds the sections, extractor.py
the figures with their sentences); ``builder.import_report`` writes it into a draft and runs
the consistency checks. ``ReportFileError`` (a ValueError) says what was and was not found.
"""

from evaluations.past.extractor import Extraction, extract
from evaluations.past.reader import ReportFileError, read_file


def read_report(data: bytes, filename: str = "") -> Extraction:
    """The data of a report file; ReportFileError when it is not a report in the outline."""
    return extract(read_file(data, filename))


__all__ = ["Extraction", "ReportFileError", "read_report"]
