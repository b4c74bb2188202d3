from __future__ import annotations

from collections.abc import Iterable, Iterator


class _Node:
    __slots__ = ("children", "end")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.end = False


class Trie:
    """A set of words that answers prefix queries."""

    def __init__(self, words: Iterable[str] = ()) -> None:
        self._root = _Node()
        self._size = 0
        for word in words:
            self.add(word)

    def add(self, word: str) -> None:
        node = self._root
        for ch in word:
            node = node.children.setdefault(ch, _Node())
        if not node.end:
            node.end = True
            self._size += 1

    def _find(self, prefix: str) -> _Node | None:
        node = self._root
        for ch in prefix:
            child = node.children.get(ch)
            if child is None:
                return None
            node = child
        return node

    def __contains__(self, word: str) -> bool:
        node = self._find(word)
        return node is not None and node.end

    def __len__(self) -> int:
        return self._size

    def has_prefix(self, prefix: str) -> bool:
        return self._find(prefix) is not None

    def with_prefix(self, prefix: str) -> list[str]:
        """Every word starting with ``prefix``, sorted."""
        node = self._find(prefix)
        return sorted(_walk(node, prefix)) if node is not None else []


def _walk(node: _Node, prefix: str) -> Iterator[str]:
    if node.end:
        yield prefix
    for ch, child in node.children.items():
        yield from _walk(child, prefix + ch)
