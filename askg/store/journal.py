"""An undo log over a networkx MultiDiGraph: the embedded store's per-action transaction.

Every mutation records its inverse; `rollback` replays them in reverse, so an action interrupted
mid-write (an exception, a KeyboardInterrupt) leaves the in-memory graph exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import networkx as nx


class GraphJournal:
    def __init__(self, graph: nx.MultiDiGraph) -> None:
        self.graph = graph
        self._undo: list[Callable[[], object]] = []

    def set_node(self, key: str, attrs: dict[str, Any], *, replace: bool) -> None:
        """Create the node, or update (replace=False) / overwrite (replace=True) its attributes."""
        graph = self.graph
        if key in graph:
            node = graph.nodes[key]
            old = dict(node)
            if replace:
                node.clear()
            node.update(attrs)

            def restore() -> None:
                node.clear()
                node.update(old)

            self._undo.append(restore)
        else:
            graph.add_node(key, **attrs)
            self._undo.append(lambda: graph.remove_node(key))

    def add_node_if_missing(self, key: str, attrs: dict[str, Any]) -> None:
        if key not in self.graph:
            self.set_node(key, attrs, replace=False)

    def add_edge(self, src: str, dst: str, key: str, attrs: dict[str, Any]) -> None:
        graph = self.graph
        if graph.has_edge(src, dst, key):
            self.remove_edge(src, dst, key)
        graph.add_edge(src, dst, key=key, **attrs)
        self._undo.append(lambda: graph.remove_edge(src, dst, key))

    def remove_edge(self, src: str, dst: str, key: str) -> None:
        graph = self.graph
        attrs = dict(graph.edges[src, dst, key])
        graph.remove_edge(src, dst, key)
        self._undo.append(lambda: graph.add_edge(src, dst, key=key, **attrs))

    def remove_node(self, key: str) -> None:
        graph = self.graph
        for src, dst, edge_key in list(graph.in_edges(key, keys=True)) + list(graph.out_edges(key, keys=True)):
            if graph.has_edge(src, dst, edge_key):
                self.remove_edge(src, dst, edge_key)
        attrs = dict(graph.nodes[key])
        graph.remove_node(key)
        self._undo.append(lambda: graph.add_node(key, **attrs))

    def record(self, undo: Callable[[], object]) -> None:
        """Register the inverse of a change made outside the graph (e.g. an index)."""
        self._undo.append(undo)

    def rollback(self) -> None:
        while self._undo:
            self._undo.pop()()
