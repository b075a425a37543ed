"""Think blocks taken out of a streamed answer, however the stream is cut."""

from __future__ import annotations

import pytest

from writer_app.llm.thinking import ThinkSplitter, strip_thinking

ANSWER = "<think>\n先审题：写坚持。\n</think>\n\n坚持是一种力量。"


def _stream(text: str, size: int) -> tuple[str, str, ThinkSplitter]:
    s = ThinkSplitter()
    shown, thought = [], []
    for i in range(0, len(text), size):
        a, b = s.feed(text[i : i + size])
        shown.append(a)
        thought.append(b)
    a, b = s.finish()
    return "".join(shown) + a, "".join(thought) + b, s


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 100])
def test_the_block_is_taken_out_whatever_the_chunk_size(size):
    shown, thought, s = _stream(ANSWER, size)
    assert shown == "坚持是一种力量。"
    assert thought == "\n先审题：写坚持。\n" == s.thought
    assert not s.only_thought and not s.inside


def test_text_without_tags_passes_unchanged_and_nothing_is_held_at_the_end():
    text = "第一段。\n\n第二段 < 不是标签 >，a<b。"
    shown, thought, s = _stream(text, 3)
    assert shown == text and thought == "" and not s.only_thought


def test_a_block_that_never_closes_is_all_thought():
    shown, thought, s = _stream("<think>一直在想，一直在想", 4)
    assert shown == "" and "一直在想" in thought
    assert s.only_thought and s.inside


def test_a_tag_split_across_pieces_is_never_shown_in_part():
    s = ThinkSplitter()
    assert s.feed("答<thi") == ("答", "")
    assert s.feed("nk>想</th") == ("", "想")
    assert s.feed("ink>\n\n完") == ("完", "")


def test_an_empty_block_as_qwen3_writes_with_thinking_off():
    assert strip_thinking("<think>\n\n</think>\n\n正文") == "正文"
    assert strip_thinking("正文<think>插话</think>继续") == "正文继续"
