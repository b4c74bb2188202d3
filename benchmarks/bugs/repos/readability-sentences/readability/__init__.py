"""Simple text statistics: sentences, words, average sentence length."""

from readability.metrics import average_sentence_length, report, sentences

__all__ = ["average_sentence_length", "report", "sentences"]
