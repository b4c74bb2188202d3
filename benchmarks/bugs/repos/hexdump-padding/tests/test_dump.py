from hexview import hexdump, printable, undump


def test_printable():
    assert printable(b"hi\x00\x7f~") == "hi..~"


def test_full_line():
    assert hexdump(b"ABCDEFGH") == "00000000  41 42 43 44 45 46 47 48  |ABCDEFGH|"


def test_offsets():
    lines = hexdump(bytes(20), width=8).splitlines()
    assert [line[:8] for line in lines] == ["00000000", "00000008", "00000010"]


def test_short_last_line_is_padded():
    out = hexdump(b"ABCDEFGHIJ")
    assert out.splitlines()[1] == "00000008  49 4a                    |IJ|"


def test_ascii_column_lines_up():
    lines = hexdump(b"0123456789abc", width=4).splitlines()
    assert len({line.index("|") for line in lines}) == 1


def test_empty():
    assert hexdump(b"") == ""


def test_undump_round_trip():
    data = bytes(range(0, 256, 7))
    assert undump(hexdump(data, width=6)) == data
