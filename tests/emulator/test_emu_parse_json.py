"""`parse_json`'s shortcuts skip work only where it cannot find anything."""

from __future__ import annotations

import pytest

from segments_orm.emulator._http import MAX_JSON_DEPTH, ApiError, parse_json


@pytest.mark.parametrize("body", [b'{"a": "\\ud800"}', b'{"a": "x\\uDFFF"}', b'["\\udc00"]'])
def test_a_lone_surrogate_escape_in_either_case_is_refused(body):
    with pytest.raises(ApiError) as caught:
        parse_json(body)
    assert "lone surrogate" in caught.value.body["detail"]


def test_a_surrogate_pair_and_an_escaped_backslash_are_text():
    assert parse_json(b'{"a": "\\ud83d\\ude00"}') == {"a": "\U0001f600"}
    assert parse_json(b'{"a": "\\\\ud800"}') == {"a": "\\ud800"}


def test_depth_is_checked_whenever_the_brackets_allow_it():
    deep = b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1)
    with pytest.raises(ApiError) as caught:
        parse_json(deep)
    assert caught.value.body["limit"] == "max_json_depth"
    at_limit = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH
    assert parse_json(at_limit) is not None
    wide = b"[" + b",".join([b"[1]"] * (MAX_JSON_DEPTH * 3)) + b"]"
    assert len(parse_json(wide)) == MAX_JSON_DEPTH * 3
