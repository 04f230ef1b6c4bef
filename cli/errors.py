"""Run a typer app and turn toolkit errors into one line on stderr and an exit code."""

from __future__ import annotations

import sys
from collections.abc import Callable

from rich.console import Console

from askg.errors import AskgError

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def run_app(app: Callable[[], object], known_errors: tuple[type[Exception], ...] = ()) -> None:
    try:
        app()
    except AskgError as exc:
        err_console.print(f"error: {exc}", markup=False)
        sys.exit(exc.exit_code)
    except known_errors as exc:
        err_console.print(f"error: {exc}", markup=False)
        sys.exit(getattr(exc, "exit_code", 1))
    except KeyboardInterrupt:
        err_console.print("interrupted", markup=False)
        sys.exit(130)
