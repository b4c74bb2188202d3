def printable(data: bytes) -> str:
    """ASCII for printable bytes, ``.`` for the rest."""
    return "".join(chr(b) if 32 <= b < 127 else "." for b in data)


def hexdump(data: bytes, width: int = 8) -> str:
    """Offset, hex bytes and ASCII per line; the ASCII column lines up on every line."""
    lines = []
    for offset in range(0, len(data), width):
        chunk = data[offset : offset + width]
        hex_part = " ".join(f"{b:02x}" for b in chunk)
        hex_part += "   " * (width - len(chunk))
        lines.append(f"{offset:08x}  {hex_part}  |{printable(chunk)}|")
    return "\n".join(lines)


def undump(text: str) -> bytes:
    """The bytes of a ``hexdump`` listing, read back from its hex column."""
    out = bytearray()
    for line in text.splitlines():
        hex_part = line[10 : line.index("|")]
        out.extend(bytes.fromhex(hex_part))
    return bytes(out)
