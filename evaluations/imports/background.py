"""One chunk's COPYs run beside the parsing and planning of the next, on the import's own connection.

docs/design.md, "Imports". On PostgreSQL the indicators import hands each chunk's writes
(pg_writer.CopyWriter) to one background thread as soon as the chunk is planned, so the server
stores chunk N while Python reads and plans chunk N+1; before, Python waited for every COPY,
and the server for Python.

Still one transaction, all or nothing: the thread runs on the import's connection, never at the
same time as the importing thread. Every statement the importing thread sends first waits for
the write in progress (a Django execute wrapper), and raises its error if it failed, as the
write itself did before; the block waits for it on leaving (before the closing recompute and
the commit, or before the rollback after an error). So nothing the importer reads or writes
overtakes an earlier chunk's rows, and the fewer statements the importing thread sends between
two chunks (the plans look up a window of chunks at once, importer.WINDOW_CHUNKS), the less it
waits. Memory: IN_FLIGHT chunks' rows in flight, as COPY text.

The last chunk of a window is held back (``submit(job, hold=True)``) until the next window's
lookups are done, which run before it (:meth:`BackgroundWrites.overtaking`): started at once, it
was still being written when they began, and they waited for it, a chunk's write at every
window (about 5 s of a million-row import). They may overtake it because none of them reads or
writes its rows (importer.Importer.flush_window says why); every other statement starts it and
waits for it as for any write.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

IN_FLIGHT = 3  # chunks' writes started and not yet done, at most


class BackgroundWrites:
    """Up to IN_FLIGHT writes on ``connection`` (a Django connection), run one after another."""

    def __init__(self, connection) -> None:
        self.connection = connection
        self.running: deque[Future] = deque()
        self.executor: ThreadPoolExecutor | None = None
        self.held: Callable[[], None] | None = None  # a write not started yet (hold=True)
        self.overtaken = False  # statements now may run before the held write

    @contextlib.contextmanager
    def active(self) -> Iterator[BackgroundWrites]:
        """The import's writes may go to the background inside the block; it ends with them done."""
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-write")
        try:
            with self.connection.execute_wrapper(self.before_statement):
                try:
                    yield self
                except BaseException:
                    self.held = None  # undone with the rest
                    with contextlib.suppress(Exception):
                        self.wait()  # the connection is the thread's until it stops
                    raise
                self.wait()
        finally:
            self.executor.shutdown()
            self.executor = None
            self.held = None

    def submit(self, job: Callable[[], None], *, hold: bool = False) -> None:
        """Start ``job`` (it uses the raw connection) after the writes started before it, once
        fewer than IN_FLIGHT are; outside the block, run it now. ``hold``: start it with the
        next write, or before the next statement that does not overtake it."""
        if self.executor is None:
            self.run(job)
            return
        self.release()
        if hold:
            self.held = job
        else:
            self.start(job)

    def start(self, job: Callable[[], None]) -> None:
        while len(self.running) >= IN_FLIGHT:
            self.running.popleft().result()
        self.running.append(self.executor.submit(self.run, job))

    def release(self) -> None:
        """Start the write held back, if one is."""
        if self.held is not None:
            job, self.held = self.held, None
            self.start(job)

    @contextlib.contextmanager
    def overtaking(self) -> Iterator[None]:
        """Statements inside the block run before the write held back (the caller knows they
        neither read nor write its rows); they still wait for the writes started. The held
        write starts as the block ends."""
        self.overtaken = True
        try:
            yield
        finally:
            self.overtaken = False
        self.release()

    def run(self, job: Callable[[], None]) -> None:
        with self.connection.wrap_database_errors:  # Django's exceptions, as a query raises
            job()

    def wait(self, *, held_too: bool = True) -> None:
        """Wait for every write started, and the one held back unless ``held_too`` is False
        (then it stays held); raise the first one's error."""
        if held_too:
            self.release()
        error = None
        while self.running:
            try:
                self.running.popleft().result()
            except Exception as exc:  # the later ones fail on the aborted transaction too
                error = error or exc
        if error is not None:
            raise error

    def before_statement(self, execute, sql, params, many, context):
        if self.running or (self.held is not None and not self.overtaken):
            self.wait(held_too=not self.overtaken)
        return execute(sql, params, many, context)
