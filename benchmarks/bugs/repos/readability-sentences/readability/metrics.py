import re

_END = re.compile(r"(?<=[.!?])\s+|(?<=[.!?])$")


def sentences(text: str) -> list[str]:
    """The sentences of ``text``, split after ``.``, ``!`` or ``?``, without blanks."""
    return [s.strip() for s in _END.split(text) if s.strip()]


def _words(sentence: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9']+", sentence)


def average_sentence_length(text: str) -> float:
    """Words per sentence; 0.0 for text without words."""
    parts = sentences(text)
    if not parts:
        return 0.0
    return sum(len(_words(s)) for s in parts) / len(parts)


def report(text: str) -> dict[str, float]:
    parts = sentences(text)
    return {
        "sentences": len(parts),
        "words": sum(len(_words(s)) for s in parts),
        "average": average_sentence_length(text),
    }
