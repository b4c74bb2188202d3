from notebook import Note, Notebook


def test_note_without_tags():
    assert Note("a").tags == []


def test_tagging_one_note_leaves_others_alone():
    first = Note("first")
    first.tag("work")
    assert Note("second").tags == []


def test_given_tags_are_copied():
    tags = ["x"]
    note = Note("a", tags)
    note.tag("y")
    assert tags == ["x"]


def test_tag_is_not_duplicated():
    note = Note("a", ["x"])
    note.tag("x", "y")
    assert note.tags == ["x", "y"]


def test_notebook_tagged():
    book = Notebook()
    book.add("plan", "work")
    book.add("groceries", "home")
    assert book.tagged("work") == ["plan"]
    assert book.tagged("home") == ["groceries"]


def test_repr():
    assert repr(Note("a", ["t"])) == "Note('a', tags=['t'])"
