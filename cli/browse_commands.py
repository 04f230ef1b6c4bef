"""`askg browse` (where Neo4j Browser is, how to connect, the ready queries) and `askg curate`."""

from __future__ import annotations

from importlib import resources
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape

from askg.browser.queries import QUERIES
from askg.browser.style import STYLE_FILE, style_command
from askg.errors import InputError
from askg.names import normalise_name
from askg.settings import AskgSettings, is_neo4j_uri
from cli.store_context import store_context

DEFAULT_HTTP_PORT = 7474
DEFAULT_HTTPS_PORT = 7473


class BrowseInfo(BaseModel):
    """What `askg browse` prints: never the password."""

    browser_url: str
    connect_url: str
    bolt_uri: str
    user: str
    database: str | None
    password: str
    style_file: str
    queries: list[dict[str, Any]]


def browser_url(bolt_uri: str, http_port: int | None = None) -> str:
    """Neo4j Browser's address for a Bolt/neo4j URI: same host, HTTP port 7474 (HTTPS 7473 for +s schemes)."""
    parts = urlsplit(bolt_uri)
    if not parts.hostname:
        raise InputError(f"cannot read a host from the Neo4j URI {bolt_uri!r}")
    secure = parts.scheme.endswith(("+s", "+ssc"))
    port = http_port or (DEFAULT_HTTPS_PORT if secure else DEFAULT_HTTP_PORT)
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{'https' if secure else 'http'}://{host}:{port}/browser/"


def connect_url(browser: str, bolt_uri: str, user: str, database: str | None) -> str:
    """The Browser address with the connect form pre-filled (`?dbms=scheme://user@host:port&db=…`)."""
    parts = urlsplit(bolt_uri)
    netloc = parts.netloc.rpartition("@")[2]
    dbms = f"{parts.scheme}://{quote(user, safe='')}@{netloc}"
    url = f"{browser}?dbms={quote(dbms, safe='')}"
    return url + (f"&db={quote(database, safe='')}" if database else "")


def browse_info(location: str, settings: AskgSettings, http_port: int | None = None) -> BrowseInfo:
    if not is_neo4j_uri(location):
        raise InputError(
            f"the configured store is the embedded file {location}; Neo4j Browser needs a Neo4j store "
            "(set NEO4J_URI or --store bolt://…; `scripts/neo4j-local start` runs one locally)"
        )
    browser = browser_url(location, http_port)
    password = "set (NEO4J_PASSWORD, not shown)" if settings.neo4j_password else "not set (NEO4J_PASSWORD)"
    return BrowseInfo(
        browser_url=browser,
        connect_url=connect_url(browser, location, settings.neo4j_user, settings.neo4j_database),
        bolt_uri=_without_userinfo(location),
        user=settings.neo4j_user,
        database=settings.neo4j_database,
        password=password,
        style_file=str(resources.files("askg.browser").joinpath(STYLE_FILE)),
        queries=[
            {"key": q.key, "title": q.title, "description": q.description, "cypher": q.cypher.strip(),
             "params": q.params, "param_commands": q.param_commands(), "graph": q.graph}
            for q in QUERIES
        ],
    )


def _without_userinfo(uri: str) -> str:
    parts = urlsplit(uri)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def register(app: typer.Typer) -> None:
    console = Console(highlight=False, soft_wrap=True)

    @app.command("browse")
    def browse_command(
        ctx: typer.Context,
        http_port: Annotated[int | None, typer.Option("--http-port", envvar="NEO4J_HTTP_PORT", min=1, max=65535,
                                                      help="Browser's HTTP port (default 7474; 7473 for "
                                                      "neo4j+s/bolt+s; scripts/neo4j-local uses the same "
                                                      "NEO4J_HTTP_PORT).")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        style_cmd: Annotated[bool, typer.Option("--style-command", help="Print only the Browser command that "
                                                "applies the askg style (browser.post_connect_cmd value).")]
        = False,
    ) -> None:
        """Where Neo4j Browser is, how to connect (no secrets), and ready queries to paste."""
        if style_cmd:
            typer.echo(style_command())
            return
        settings = AskgSettings()
        info = browse_info(store_context(ctx).location(settings), settings, http_port)
        if as_json:
            typer.echo(info.model_dump_json(indent=2))
            return
        console.print(f"[bold]Neo4j Browser[/]: {escape(info.browser_url)}")
        console.print(f"  pre-filled:  {escape(info.connect_url)}", markup=True)
        console.print(f"  connect URL: {info.bolt_uri}   user: {info.user}   database: {info.database or '(default)'}"
                      f"   password: {info.password}", markup=False)
        console.print(f"  style:       applied on connect by the shipped configs; elsewhere run `:style` and drop "
                      f"{info.style_file} on it, or paste `:` + `askg browse --style-command`", markup=False)
        for q in QUERIES:
            console.print(f"\n[bold]{escape(q.title)}[/] [dim]({q.key})[/]")
            console.print(f"[dim]{escape(q.description)}[/]")
            typer.echo(q.browser_text())

    @app.command("curate")
    def curate_command(
        ctx: typer.Context,
        names: Annotated[list[str], typer.Argument(help="Action class names (any spelling).")],
        off: Annotated[bool, typer.Option("--off", help="Clear the flag: `askg build` may overwrite again.")] = False,
    ) -> None:
        """Mark actions curated (kept by `askg build` unless --rebuild), taking their current content as
        the baseline; with --off, clear the mark."""
        ids = [normalise_name(n) for n in names]
        with store_context(ctx).open() as store:
            missing = sorted(set(ids) - set(store.action_ids()))
            if missing:
                raise InputError(f"not in {store.description}: {', '.join(missing)}")
            updated = store.set_curated(ids, not off)
            description = store.description
        console.print(f"{'un' if off else ''}marked {updated} action(s) curated in {description}", markup=False)
