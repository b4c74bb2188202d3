from recordfile.encode import SEP

_UNESCAPE = {"\\": "\\", SEP: SEP, "n": "\n"}


class DecodeError(ValueError):
    """A backslash followed by a character that is not an escape."""


def decode_record(line: str) -> list[str]:
    fields: list[str] = []
    current: list[str] = []
    chars = iter(line)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            if nxt not in _UNESCAPE:
                raise DecodeError(f"bad escape \\{nxt} in {line!r}")
            current.append(_UNESCAPE[nxt])
        elif ch == SEP:
            fields.append("".join(current))
            current = []
        else:
            current.append(ch)
    fields.append("".join(current))
    return fields
