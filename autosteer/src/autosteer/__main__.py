"""``python -m autosteer`` and the console script: a Ctrl-C while the CLI's modules load is held
until the command starts, then ends it as one during a run does (exit 130, no traceback)."""

from autolab_shared.cli.interrupt import hold_interrupts


def main() -> None:
    """Hold Ctrl-C, load the CLI, run it (it raises a held Ctrl-C where it reports one)."""
    hold_interrupts()
    from autosteer.cli import main as run

    run()


if __name__ == "__main__":
    main()
