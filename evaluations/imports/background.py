"""One chunk's COPYs run beside the planning of the next, on the import's own connection.

docs/design.md, "Imports". On PostgreSQL the indicators import hands each chunk's writes
(pg_writer.CopyWriter) to one background thread, so the server stores chunk N while Python
plans chunk N+1; before, Python waited for every COPY, and the server for Python.

Still one transaction, all or nothing: the thread runs on the import's connection, never at the
same time as the importing thread. Every statement the importing thread sends first waits for
the write in progress (a Django execute wrapper), and raises its error if it failed, as the
write itself did before; the block waits for it on leaving (before the closing recompute and
the commit, or before the rollback after an error). Two orders change, and only these:
- a chunk's write is queued when planned and starts when the next chunk's plan has read what
  it needs (:meth:`BackgroundWrites.lookups`): those reads do not see the queued rows. They
  look up stored rows by their key, and a key that comes back in a later chunk is refused
  (KeysSeen), so the import fails either way;
- a statement outside those reads starts the queued write and waits for it: nothing the
  importer writes overtakes an earlier chunk's rows.
Memory: one chunk's rows in flight.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor


class BackgroundWrites:
    """At most one write queued and one in progress on ``connection`` (a Django connection)."""

    def __init__(self, connection) -> None:
        self.connection = connection
        self.queued: Callable[[], None] | None = None
        self.running: Future | None = None
        self.looking_up = False
        self.executor: ThreadPoolExecutor | None = None

    @contextlib.contextmanager
    def active(self) -> Iterator[BackgroundWrites]:
        """The import's writes may go to the background inside the block; it ends with them done."""
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-write")
        try:
            with self.connection.execute_wrapper(self.before_statement):
                try:
                    yield self
                except BaseException:
                    self.queued = None  # undone with the transaction anyway
                    with contextlib.suppress(Exception):
                        self.wait()  # the connection is the thread's until it stops
                    raise
                self.wait()
        finally:
            self.executor.shutdown()
            self.executor = None

    def submit(self, job: Callable[[], None]) -> None:
        """Queue ``job`` (it uses the raw connection); it starts at the next statement or the
        end of the next plan's lookups, whichever comes first. Outside the block, run it now."""
        if self.executor is None:
            self.run(job)
            return
        self.wait()
        self.queued = job

    @contextlib.contextmanager
    def lookups(self) -> Iterator[None]:
        """Reads that may run before the queued write (see the module's docstring); it starts
        when the block ends."""
        self.looking_up = True
        try:
            yield
        finally:
            self.looking_up = False
        self.start()

    def start(self) -> None:
        if self.queued is not None:
            job, self.queued = self.queued, None
            self.running = self.executor.submit(self.run, job)

    def run(self, job: Callable[[], None]) -> None:
        with self.connection.wrap_database_errors:  # Django's exceptions, as a query raises
            job()

    def wait(self) -> None:
        """Start the queued write and wait for the one in progress; raise its error."""
        if not self.looking_up:
            self.start()
        running, self.running = self.running, None
        if running is not None:
            running.result()

    def before_statement(self, execute, sql, params, many, context):
        if self.running is not None or (self.queued is not None and not self.looking_up):
            self.wait()
        return execute(sql, params, many, context)
