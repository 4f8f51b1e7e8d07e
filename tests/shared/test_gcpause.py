"""The garbage collector around bulk reads and at a console script's exit (core/gcpause.py)."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap

from autolab_shared.core.gcpause import paused_gc


def test_the_collector_is_off_inside_the_block_and_restored_after_it() -> None:
    was = gc.isenabled()
    try:
        gc.enable()
        with paused_gc():
            assert not gc.isenabled()
        assert gc.isenabled()
        gc.disable()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()


def test_the_collector_stays_off_and_at_exit_the_objects_are_frozen() -> None:
    """Off from the call to the end; the last collection is skipped (everything alive moved
    to the permanent generation, which no collection walks), after every other exit handler;
    stdout and the exit code are those of the script."""
    script = textwrap.dedent(
        """
        import atexit, gc, sys
        atexit.register(lambda: print("frozen", gc.get_freeze_count() > 0, flush=True))
        from autolab_shared.core.gcpause import no_collection_until_exit, paused_gc
        no_collection_until_exit()
        with paused_gc():
            pass
        print("verdict", gc.isenabled(), end=" ")
        sys.exit(2)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (2, "verdict False frozen True\n", "")
