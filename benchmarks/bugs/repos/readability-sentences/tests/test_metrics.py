from readability import average_sentence_length, report, sentences


def test_sentences_split_on_terminators():
    assert sentences("One. Two! Three?") == ["One.", "Two!", "Three?"]


def test_text_without_final_period():
    assert sentences("Hi there. Bye") == ["Hi there.", "Bye"]


def test_trailing_whitespace_is_not_a_sentence():
    assert sentences("Done.  \n") == ["Done."]


def test_average_sentence_length():
    assert average_sentence_length("I came. I saw it.") == 2.5


def test_average_of_empty_text():
    assert average_sentence_length("") == 0.0


def test_report():
    assert report("A b c. D e f.") == {"sentences": 2, "words": 6, "average": 3.0}
