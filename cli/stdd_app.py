"""`stdd`: train, evaluate and run the STDD video model (filled in by the model issues)."""

from __future__ import annotations

import typer

from cli.errors import run_app

app = typer.Typer(name="stdd", help="Train, evaluate and run the STDD video model.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)


@app.command("version")
def version_command() -> None:
    """Print the toolkit version."""
    from askg import __version__

    typer.echo(__version__)


def main() -> None:
    run_app(app)
