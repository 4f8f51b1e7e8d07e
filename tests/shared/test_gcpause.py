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


def test_at_exit_the_objects_are_frozen_and_output_and_exit_code_stay() -> None:
    """The last collection is skipped (everything alive moved to the permanent generation,
    which no collection walks), after every other exit handler; stdout and the exit code are
    those of the script."""
    script = textwrap.dedent(
        """
        import atexit, gc, sys
        atexit.register(lambda: print("frozen", gc.get_freeze_count() > 0, flush=True))
        from autolab_shared.core.gcpause import no_collection_at_exit
        no_collection_at_exit()
        print("verdict", end="")
        sys.exit(2)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (2, "verdictfrozen True\n", "")
