import argparse
import sys
from pathlib import Path
from typing import TextIO

from todo.store import Store


def main(argv: list[str] | None = None, *, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="todo")
    parser.add_argument("--file", type=Path, default=Path("todo.json"))
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("add").add_argument("text", nargs="+")
    sub.add_parser("done").add_argument("number", type=int)
    sub.add_parser("list")
    args = parser.parse_args(argv)
    store = Store(args.file)
    if args.command == "add":
        number = store.add(" ".join(args.text))
        print(f"added task {number}", file=out)
    elif args.command == "done":
        try:
            task = store.get(args.number)
        except IndexError as exc:
            print(f"error: {exc}", file=out)
            return 1
        task.done = True
        print(f"done: {task.text}", file=out)
    else:
        for number, task in enumerate(store.tasks, start=1):
            print(f"{number}. [{'x' if task.done else ' '}] {task.text}", file=out)
    store.save()
    return 0
