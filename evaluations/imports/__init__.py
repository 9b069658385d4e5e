"""Data in: files read, cells parsed, rows checked and written all or nothing.

The public API (the command, the admin and tests use these names only):
``import_file`` (bytes → result, streamed), ``import_table`` and ``read_table`` (a file read
whole, for a preview), ``rows_to_table``, ``Table``, ``ImportResult`` with ``RowOutcome`` and
``RowError``, the actions ``NEW``/``UPDATE``/``SKIP``, ``ReadError`` (a ValueError) and
``ReadLimits``. Modules: reading and encodings (bytes → rows, limits), cells (one cell → a
value), plans (one class per dataset), context (one import's state), locks, writer, results.
"""

from evaluations.imports.importer import import_file, import_table
from evaluations.imports.reading import ReadError, ReadLimits, Table, read_table, rows_to_table
from evaluations.imports.results import NEW, SKIP, UPDATE, ImportResult, RowError, RowOutcome

__all__ = [
    "NEW", "SKIP", "UPDATE", "ImportResult", "ReadError", "ReadLimits", "RowError", "RowOutcome",
    "Table", "import_file", "import_table", "read_table", "rows_to_table",
]
