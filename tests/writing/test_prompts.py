import pytest

from writer_app.errors import BadInputError
from writer_app.resources import resources_dir
from writer_app.writing.prompts import load_prompts


@pytest.mark.parametrize("name", ["outline", "draft", "critique"])
def test_shipped_prompt_files_load_with_limits(name):
    p = load_prompts(resources_dir(), name)
    assert p.templates["system"].strip()
    assert p.limits


def test_render_fills_placeholders_and_leaves_json_braces_alone():
    p = load_prompts(resources_dir(), "draft")
    out = p.render(
        "part",
        index=2,
        n_parts=5,
        part_title="论证",
        part_purpose="举例",
        part_size="150 字",
        materials="",
        position="",
    )
    assert "2/5" in out and "150" in out and "${" not in out


def test_a_missing_placeholder_value_is_a_clear_error():
    p = load_prompts(resources_dir(), "draft")
    with pytest.raises(BadInputError, match="未知变量"):
        p.render("part", index=1)


def test_missing_and_malformed_prompt_files_are_clear_errors(tmp_path):
    with pytest.raises(BadInputError, match="找不到提示文件"):
        load_prompts(tmp_path, "outline")
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "outline.toml").write_text("system = '''unterminated", encoding="utf-8")
    with pytest.raises(BadInputError, match="格式错误"):
        load_prompts(tmp_path, "outline")
