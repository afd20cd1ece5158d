"""The JSON body check's fast path agrees with the walk it spares."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from server.inputs import MAX_JSON_DEPTH, find_bad_text, json_text_is_clean

# Text drawn from every code point, lone surrogates and control characters included.
_text = st.text(st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF), max_size=8)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(_text, children, max_size=4),
    max_leaves=30)


def _clean(text: str) -> bool:
    """The check as the API runs it: on the text and what it decodes to."""
    return json_text_is_clean(text, json.loads(text))


def _nested(depth: int) -> object:
    value: object = 1
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


@settings(max_examples=400)
@given(_json, st.booleans())
def test_a_text_said_clean_holds_nothing_the_walk_would_refuse(value, ascii_only):
    text = json.dumps(value, ensure_ascii=ascii_only)
    if _clean(text):
        assert find_bad_text(value) is None


@settings(max_examples=200)
@given(_json)
def test_a_clean_value_without_escapes_is_cleared_without_the_walk(value):
    text = json.dumps(value, ensure_ascii=False)
    if find_bad_text(value) is None and "\\u" not in text:
        assert _clean(text)


def test_forbidden_characters_escaped_or_raw_are_not_cleared():
    for bad in ("\ud800", "\udfff", "\x00", "\x07", "\x1f", "\x7f"):
        assert not _clean(json.dumps({"notes": bad}))
        assert not _clean(json.dumps({bad: 1}, ensure_ascii=False))
    for ascii_only in (True, False):
        assert _clean(json.dumps({"notes": "ligne\r\nsuite\tet « é »"},
                                             ensure_ascii=ascii_only))
    # An emoji escaped as a surrogate pair is left to the walk, which accepts it.
    emoji = {"notes": "🚲"}
    assert not _clean(json.dumps(emoji)) and find_bad_text(emoji) is None


def test_an_escaped_backslash_before_a_letter_is_only_a_walk_not_a_refusal():
    value = {"notes": "C:\\bin\\u0000\\ud800"}
    assert find_bad_text(value) is None
    assert not _clean(json.dumps(value))


def test_nesting_is_cleared_up_to_the_limit_and_no_further():
    assert _clean(json.dumps(_nested(MAX_JSON_DEPTH)))
    assert find_bad_text(_nested(MAX_JSON_DEPTH)) is None
    assert not _clean(json.dumps(_nested(MAX_JSON_DEPTH + 1)))
    assert find_bad_text(_nested(MAX_JSON_DEPTH + 1)) is not None


def test_brackets_inside_strings_do_not_count_as_nesting():
    assert _clean(json.dumps({"notes": "[" * 100 + "{" * 100 + '"\\'}))


def test_a_deep_body_with_many_brackets_is_measured_on_its_text():
    # Past the containers a walk would visit, the nesting is read off the text.
    many = {"items": [[n, n] for n in range(3_000)], "deep": _nested(MAX_JSON_DEPTH - 1)}
    assert _clean(json.dumps(many))
    many["deep"] = _nested(MAX_JSON_DEPTH)
    assert not _clean(json.dumps(many))
