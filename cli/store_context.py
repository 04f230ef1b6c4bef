"""Where the graph lives, as the `askg` command line says: the one way `--store` reaches a command.

The app callback builds a `StoreContext` from `--store` / `ASKG_STORE` and puts it on the typer
context; every command that reads or writes the graph takes `ctx: typer.Context` and calls
`store_context(ctx).open()` (or `.location()` when it needs only the address).
"""

from __future__ import annotations

from dataclasses import dataclass

import typer

from askg.settings import AskgSettings
from askg.store import GraphStore, open_store, resolve_store_location


@dataclass(frozen=True)
class StoreContext:
    """`store`: the `--store` value (or `ASKG_STORE`), None when not given on the command line."""

    store: str | None = None

    def location(self, settings: AskgSettings | None = None) -> str:
        """The store actually used: `--store`, else ASKG_STORE (also from .env), else NEO4J_URI, else the
        default embedded file."""
        return resolve_store_location(self.store, settings or AskgSettings())

    def open(self) -> GraphStore:
        return open_store(self.store)


def store_context(ctx: typer.Context) -> StoreContext:
    """The StoreContext the `askg` callback built; a command run outside that app sees no `--store`."""
    found = ctx.find_object(StoreContext)
    return found if found is not None else StoreContext()
