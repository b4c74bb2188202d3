"""Notes with tags, and a notebook that indexes them."""

from notebook.notes import Note, Notebook

__all__ = ["Note", "Notebook"]
