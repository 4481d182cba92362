"""Several landing files staged and written at once, each on its own DuckDB connection, results in order.

DuckDB runs one large statement on every core, but a run is mostly small files whose statements are
single-threaded (planning dominates them), and a large file's checks leave cores idle between its
statements: with two files in flight both cores stay busy (DECISIONS, issue 15). What stays as with one
worker:
- each file is its own transaction on its own connection (a cursor of the caller's), so a file is still
  written whole or not at all; DuckDB appends of concurrent transactions to one table do not conflict;
- results and `on_file` calls come in landing order;
- "same content as an earlier file": a file waits for the earlier file of this run with the same bytes
  (hashed before the files are dispatched), so it is judged against that file's outcome, as in order;
- an error that is not a refusal stops the run at that file, and is raised when its turn comes: files not
  started are not started, and files in flight are interrupted (an interrupted file's transaction rolls
  back; one that already committed stays loaded, and a rerun finds it unchanged). A signal does the same.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from mops.core.ingest_files import Entry, FileBytes, inspect_bytes, is_text

WORKERS = 2  # files in flight: one per core of the 2-core reference machine; 1 = strictly one after another


def _inspect(entry: Entry) -> FileBytes | None:
    """The file's hash and encoding; None when it cannot be read (the worker reports it as in order)."""
    try:
        return inspect_bytes(entry.path, text=is_text(entry.path))
    except (OSError, KeyError):
        return None


def run_files(
    con,
    entries: list[tuple[Entry, object]],
    load: Callable,
    workers: int,
    session: tuple[str, ...],
    on_file: Callable | None = None,
) -> list:
    """Run `load(connection, entry, info)` for each entry without a result yet; results in entry order.

    `entries`: (entry, result or None); a None result is computed by `load`. `session`: statements every
    worker connection runs first (the caller's connection already ran them).
    """
    if workers <= 1:
        results = []
        for entry, done in entries:
            result = done or load(con, entry, None)
            results.append(result)
            if on_file:
                on_file(result)
        return results
    infos: dict[int, FileBytes | None] = {}
    local = threading.local()
    cursors = []
    lock = threading.Lock()

    def connection():
        if not hasattr(local, "cursor"):
            cursor = con.cursor()
            for statement in session:
                cursor.execute(statement)
            local.cursor = cursor
            with lock:
                cursors.append(cursor)
        return local.cursor

    def task(i: int, before: Future | None):
        if before is not None:
            before.exception()  # wait for the earlier file with the same bytes, whatever its outcome
        return load(connection(), entries[i][0], infos[i])

    futures: dict[int, Future] = {}
    last_of: dict[str, Future] = {}
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mops-ingest")
    results = []
    try:
        for i, (entry, done) in enumerate(entries):
            if done is not None:
                continue
            info = infos[i] = _inspect(entry)  # hashed here, so the first files start while the rest are hashed
            before = last_of.get(info.sha256) if info else None
            futures[i] = pool.submit(task, i, before)
            if info:
                last_of[info.sha256] = futures[i]
        for i, (_, done) in enumerate(entries):
            result = done or futures[i].result()
            results.append(result)
            if on_file:
                on_file(result)
    except BaseException:  # an error or a signal: files in flight stop and roll back, none is started
        with lock:
            for cursor in cursors:
                cursor.interrupt()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for cursor in cursors:
            cursor.close()
    return results
