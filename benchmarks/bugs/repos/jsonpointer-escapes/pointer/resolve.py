from typing import Any


class PointerError(LookupError):
    """The pointer is malformed or names something that is not in the document."""


def split_pointer(pointer: str) -> list[str]:
    """The unescaped reference tokens: ``~1`` is ``/`` and ``~0`` is ``~``."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PointerError(f"a JSON pointer starts with '/': {pointer!r}")
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/")]


def resolve(document: Any, pointer: str) -> Any:
    value = document
    for token in split_pointer(pointer):
        if isinstance(value, dict):
            if token not in value:
                raise PointerError(f"no key {token!r} in {pointer!r}")
            value = value[token]
        elif isinstance(value, list):
            if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
                raise PointerError(f"bad array index {token!r} in {pointer!r}")
            if int(token) >= len(value):
                raise PointerError(f"index {token} out of range in {pointer!r}")
            value = value[int(token)]
        else:
            raise PointerError(f"cannot descend into {type(value).__name__} at {token!r}")
    return value
