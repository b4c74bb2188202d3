from collections.abc import Iterable


class Note:
    def __init__(self, title: str, tags: Iterable[str] | None = None) -> None:
        self.title = title
        self.tags: list[str] = list(tags) if tags is not None else []

    def tag(self, *tags: str) -> None:
        for tag in tags:
            if tag not in self.tags:
                self.tags.append(tag)

    def __repr__(self) -> str:
        return f"Note({self.title!r}, tags={self.tags!r})"


class Notebook:
    def __init__(self) -> None:
        self.notes: list[Note] = []

    def add(self, title: str, *tags: str) -> Note:
        note = Note(title)
        note.tag(*tags)
        self.notes.append(note)
        return note

    def tagged(self, tag: str) -> list[str]:
        """Titles of the notes carrying ``tag``, in insertion order."""
        return [n.title for n in self.notes if tag in n.tags]
