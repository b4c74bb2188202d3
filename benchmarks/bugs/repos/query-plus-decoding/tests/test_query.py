from querystring import build_query, parse_query


def test_repeated_keys():
    assert parse_query("a=1&b=2&a=3") == {"a": ["1", "3"], "b": ["2"]}


def test_plus_is_a_space():
    assert parse_query("q=hello+world") == {"q": ["hello world"]}


def test_encoded_plus_stays_a_plus():
    assert parse_query("expr=1%2B1") == {"expr": ["1+1"]}


def test_percent_escapes():
    assert parse_query("name=J%C3%BCrgen") == {"name": ["Jürgen"]}


def test_leading_question_mark_and_empty_pairs():
    assert parse_query("?x=1&&y=") == {"x": ["1"], "y": [""]}


def test_round_trip_with_plus_and_space():
    params = {"q": ["c++ tips", "a+b"]}
    assert parse_query(build_query(params)) == params
