"""The seed command's options that choose where trainings run (kept apart from cli.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def executor_options(func: F) -> F:
    """Add --executor, --ray-address, --setup-cmd, --gpu-type and --validate-on to a command."""
    options = [
        click.option("--executor", type=click.Choice(["local", "ray"]), default="local",
                     show_default=True,
                     help='Where trainings run: this machine, one per GPU (local), or a Ray '
                          'cluster, one per GPU of any node (ray; pip install '
                          '"autolab-evolve[ray]").'),
        click.option("--ray-address", default="", metavar="ADDRESS",
                     help="The Ray cluster: auto, ray://host:10001, host:6379; unset starts "
                          "a local Ray instance."),
        click.option("--setup-cmd", default="", metavar="CMD",
                     help='Run once per node before its first training, e.g. "uv run '
                          'prepare.py" (ray; a node whose setup fails is taken out).'),
        click.option("--gpu-type", default="", metavar="NAME",
                     help="Train only on nodes with this Ray accelerator type (e.g. H100)."),
        click.option("--validate-on", default="", metavar="NAME",
                     help="Re-run the champion candidates (and the champion) on this accelerator "
                          "type and judge them on those runs only: screen on --gpu-type, "
                          "validate on another kind."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def check_executor(opts: dict[str, Any]) -> None:
    """Usage errors (exit 4) for executor options that cannot work."""
    from .executor_choice import require_ray
    from .names import UsageProblem

    if opts.get("executor") == "ray":
        try:
            require_ray()
        except UsageProblem as exc:
            raise click.UsageError(str(exc)) from None
    elif any(opts.get(k) for k in ("ray_address", "setup_cmd", "gpu_type", "validate_on")):
        raise click.UsageError(
            "--ray-address, --setup-cmd, --gpu-type and --validate-on need --executor ray"
        )
