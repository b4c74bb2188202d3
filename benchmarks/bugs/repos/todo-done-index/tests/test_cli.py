import io

from todo.cli import main
from todo.store import Store


def run(path, *args):
    out = io.StringIO()
    code = main(["--file", str(path), *args], out=out)
    return code, out.getvalue()


def test_add_and_list(tmp_path):
    path = tmp_path / "t.json"
    assert run(path, "add", "buy", "milk") == (0, "added task 1\n")
    assert run(path, "list") == (0, "1. [ ] buy milk\n")


def test_done_marks_the_listed_task(tmp_path):
    path = tmp_path / "t.json"
    run(path, "add", "first")
    run(path, "add", "second")
    assert run(path, "done", "1") == (0, "done: first\n")
    assert run(path, "list")[1] == "1. [x] first\n2. [ ] second\n"


def test_done_last_task(tmp_path):
    path = tmp_path / "t.json"
    run(path, "add", "only")
    assert run(path, "done", "1") == (0, "done: only\n")


def test_done_unknown_number(tmp_path):
    path = tmp_path / "t.json"
    run(path, "add", "only")
    assert run(path, "done", "2") == (1, "error: no task number 2\n")


def test_store_round_trip(tmp_path):
    path = tmp_path / "t.json"
    store = Store(path)
    store.add("a")
    store.get(1).done = True
    store.save()
    assert Store(path).get(1).done is True
