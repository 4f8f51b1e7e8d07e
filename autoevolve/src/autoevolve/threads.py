"""Jobs run on threads at once, with the first failure re-raised on the caller's thread."""

from __future__ import annotations

import threading
from collections.abc import Callable


def parallel(jobs: list[Callable[[], None]]) -> None:
    """Run the jobs in threads and wait for all; the first exception is re-raised."""
    errors: list[BaseException] = []

    def wrap(job: Callable[[], None]) -> None:
        try:
            job()
        except BaseException as exc:  # re-raised below, on the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(j,), daemon=True) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
