"""The Neo4j store (Neo4j >= 5.23, checked on connect): the `neo4j` Python driver, idempotent
constraints, one transaction per action with batched `UNWIND … MERGE` statements (askg.store.cypher)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from neo4j import Driver, GraphDatabase, ManagedTransaction
from neo4j.exceptions import AuthError, ClientError, ServiceUnavailable, SessionExpired

from askg.errors import StoreUnavailableError
from askg.schema import ActionRecord
from askg.store import cypher
from askg.store.base import GraphStats, GraphStore
from askg.store.curation import content_hash
from askg.store.rows import ActionRows, record_from_rows, record_to_rows
from askg.store.server_version import Neo4jVersionError, check_neo4j_version

CONNECT_TIMEOUT_S = 8.0
READ_BATCH = 1000  # 600 K600 actions in one query
F = TypeVar("F", bound=Callable[..., Any])


def _unavailable_as_error(method: F) -> F:
    """A server that stops answering mid-operation is one line (exit 3), not a driver traceback; each
    action is its own transaction, so what was written before is whole and the rest is not there."""

    @functools.wraps(method)
    def guarded(self: Neo4jStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except (ServiceUnavailable, SessionExpired, OSError) as exc:
            raise StoreUnavailableError(
                f"Neo4j at {self.uri} stopped answering ({_first_line(exc)}); actions written before "
                "are whole, the one in progress was not written"
            ) from None

    return guarded  # type: ignore[return-value]


class Neo4jStore(GraphStore):
    def __init__(self, uri: str, user: str, password: str | None, database: str | None = None) -> None:
        self.uri = uri
        self.database = database
        self.description = f"Neo4j {uri}" + (f" (database {database})" if database else "")
        auth = (user, password) if password is not None else None
        try:
            self.driver: Driver = GraphDatabase.driver(
                uri,
                auth=auth,
                connection_timeout=CONNECT_TIMEOUT_S,
                connection_acquisition_timeout=CONNECT_TIMEOUT_S,
                notifications_min_severity="OFF",  # schema-less hints ("unknown label") are noise here
            )
            self.driver.verify_connectivity()
            check_neo4j_version(self.server_version(), uri)
        except AuthError:
            self._close_quietly()
            raise StoreUnavailableError(f"Neo4j at {uri} refused the credentials of user {user!r}") from None
        except (ServiceUnavailable, OSError, ValueError) as exc:
            self._close_quietly()
            raise StoreUnavailableError(f"cannot reach Neo4j at {uri}: {_first_line(exc)}") from None
        except ClientError as exc:
            self._close_quietly()
            raise StoreUnavailableError(f"Neo4j at {uri} rejected the connection: {exc.message}") from None
        except Neo4jVersionError:
            self._close_quietly()
            raise

    def server_version(self) -> str:
        """The server's version string as `dbms.components()` reports it ("5.26.0"); "" if it names none."""
        with self._session() as session:
            rows = session.execute_read(_fetch, cypher.SERVER_VERSION, {})
        return str(rows[0]["version"]) if rows else ""

    def _close_quietly(self) -> None:
        driver = getattr(self, "driver", None)
        if driver is not None:
            driver.close()

    def close(self) -> None:
        self.driver.close()

    def _session(self) -> Any:
        return self.driver.session(database=self.database) if self.database else self.driver.session()

    @_unavailable_as_error
    def ensure_schema(self) -> None:
        with self._session() as session:
            for statement in [*cypher.CONSTRAINTS, *cypher.INDEXES]:
                session.run(statement).consume()

    # --- writes ------------------------------------------------------------------------------

    @_unavailable_as_error
    def put_actions(self, records: Iterable[ActionRecord]) -> int:
        count = 0
        with self._session() as session:
            for record in records:
                session.execute_write(write_action, record_to_rows(record))
                count += 1
        return count

    @_unavailable_as_error
    def delete_actions(self, ids: Iterable[str]) -> int:
        deleted = 0
        with self._session() as session:
            for action_id in ids:
                deleted += session.execute_write(_delete_action, action_id)
        return deleted

    # --- reads -------------------------------------------------------------------------------

    @_unavailable_as_error
    def action_ids(self) -> list[str]:
        with self._session() as session:
            return [r["id"] for r in session.execute_read(_fetch, cypher.ACTION_IDS, {})]

    @_unavailable_as_error
    def get_actions(self, ids: Iterable[str] | None = None) -> list[ActionRecord]:
        wanted = self.action_ids() if ids is None else sorted(set(ids))
        records: list[ActionRecord] = []
        with self._session() as session:
            for start in range(0, len(wanted), READ_BATCH):
                batch = wanted[start : start + READ_BATCH]
                for row in session.execute_read(_fetch, cypher.READ_ACTIONS, {"ids": batch}):
                    records.append(
                        record_from_rows(row["props"], row["uses"], row["scenes"], row["relates"], row["phases"],
                                         row["poses"])
                    )
        return records

    @_unavailable_as_error
    def stats(self) -> GraphStats:
        with self._session() as session:
            nodes = {r["label"]: r["count"] for r in session.execute_read(_fetch, cypher.NODE_COUNTS, {})}
            rels = {r["type"]: r["count"] for r in session.execute_read(_fetch, cypher.REL_COUNTS, {})}
        return GraphStats.from_counts(nodes, rels)

    @_unavailable_as_error
    def set_concept_merges(self, label: str, canonical_id: str, merged_names: Iterable[str]) -> bool:
        if label not in cypher.SET_CONCEPT_MERGES:
            raise ValueError(f"not a concept label: {label!r}")
        params = {"id": canonical_id, "names": sorted(set(merged_names))}
        with self._session() as session:
            rows = session.execute_write(_fetch, cypher.SET_CONCEPT_MERGES[label], params)
        return bool(rows and rows[0]["found"])

    @_unavailable_as_error
    def set_curated(self, ids: Iterable[str], flag: bool) -> int:
        rows = [{"id": r.id, "hash": content_hash(r)} for r in self.get_actions(ids)]
        if not rows:
            return 0
        with self._session() as session:
            found = session.execute_write(_fetch, cypher.SET_CURATED, {"rows": rows, "flag": flag})
        return int(found[0]["updated"]) if found else 0

    @_unavailable_as_error
    def concept_merges(self, label: str) -> dict[str, list[str]]:
        if label not in cypher.CONCEPT_MERGES:
            raise ValueError(f"not a concept label: {label!r}")
        with self._session() as session:
            rows = session.execute_read(_fetch, cypher.CONCEPT_MERGES[label], {})
        return {r["id"]: sorted(r["merged"]) for r in rows}


def delete_action_subgraph(tx: ManagedTransaction, action_id: str) -> list[str]:
    """Delete the action's own subgraph (its phases, relations and links; the Action node and the
    concepts stay); returns the element ids of the concepts it linked to, for the orphan check."""
    record = tx.run(cypher.TOUCHED_CONCEPTS, id=action_id).single()
    touched: list[str] = record["touched"] if record else []
    for delete in cypher.SUBGRAPH_DELETES:
        tx.run(delete, id=action_id).consume()
    return touched


def write_action(tx: ManagedTransaction, rows: ActionRows) -> None:
    """One action, whole, in one statement inside the caller's transaction (see
    cypher.write_action_statement): replace its subgraph, then the batched UNWIND writes."""
    statement = cypher.write_action_statement(cypher.BATCHED_WRITES)
    params: dict[str, Any] = {field: rows.batch(field) for _, field in cypher.BATCHED_WRITES}
    tx.run(statement, id=rows.id, props=rows.props, **params).consume()


def _delete_action(tx: ManagedTransaction, action_id: str) -> int:
    touched = delete_action_subgraph(tx, action_id)
    deleted = tx.run(cypher.DELETE_ACTION, id=action_id).single()
    if touched:
        tx.run(cypher.DELETE_ORPHANS, touched=touched).consume()
    return int(deleted["deleted"]) if deleted else 0


def _fetch(tx: ManagedTransaction, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    return [record.data() for record in tx.run(query, params)]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
