"""A trie of words with prefix queries."""

from prefixtree.trie import Trie

__all__ = ["Trie"]
