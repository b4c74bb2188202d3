"""Count words in text files: ``python -m wordfreq FILE... [--top N]``."""

from wordfreq.cli import count_words, main, top_words

__all__ = ["count_words", "main", "top_words"]
