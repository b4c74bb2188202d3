import argparse
import re
import sys
from collections import Counter
from collections.abc import Iterable
from typing import TextIO

_WORD = re.compile(r"[a-z']+")


def count_words(lines: Iterable[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for line in lines:
        counts.update(w.strip("'") for w in _WORD.findall(line.lower()) if w.strip("'"))
    return counts


def top_words(counts: Counter[str], n: int) -> list[tuple[str, int]]:
    """The ``n`` most frequent words, most frequent first, ties in alphabetical order."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


def main(argv: list[str] | None = None, stdout: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    parser = argparse.ArgumentParser(prog="wordfreq")
    parser.add_argument("files", nargs="+")
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args(argv)
    counts: Counter[str] = Counter()
    for name in args.files:
        with open(name, encoding="utf-8") as fh:
            counts += count_words(fh)
    for word, count in top_words(counts, args.top):
        print(f"{count:>6} {word}", file=out)
    return 0
