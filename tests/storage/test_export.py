import io
import json
import zipfile

import docx
import pytest

from writer_app.errors import BadInputError
from writer_app.storage import export as ex
from writer_app.storage.projects import Annotation, Project

ANSWER = "第一段写<script>alert(1)</script>雨。\n1. 这不是列表\n# 也不是标题\n最后一段*不*加粗。"
THOUGHT = "## 审题\n- [ ] 切题\n- 扣住“路”\n\n## 立意\n走自己的路。[点我](javascript:alert(1))\n"


def project(**kw):
    base = dict(
        id=7,
        uid="u" * 32,
        title="雨中的<b>路</b>",
        query_type="议论文",
        query="以“路”为题，写一篇文章。",
        thought=THOUGHT,
        answer=ANSWER,
        tags=["高三"],
        created=1.7e9,
        updated=1.7e9,
    )
    base.update(kw)
    return Project(**base)


def note(uid, field, start, end, quote, body, *, detached=False, resolved=False):
    return Annotation(0, uid, 7, field, start, end, quote, body, "王老师", 1.7e9, resolved, detached)


NOTES = [
    note("a1", "answer", 0, 3, "第一段", "开头好"),
    note("a2", "thought", 3, 5, "审题", "再想想", resolved=True),
    note("a3", "answer", 0, 2, "删掉的话", "这句没了", detached=True),
]


def test_markdown_keeps_structure_escapes_prose_and_puts_notes_as_footnotes():
    md = ex.to_markdown(project(), NOTES)
    assert "## 题目" in md and "## 构思" in md and "## 正文" in md
    assert "### 审题[^2]" in md  # thought headings one level deeper, note after the quoted text
    assert "第一段[^1]" in md and "[^1]: 王老师：开头好" in md and "[^2]: 王老师（已解决）：再想想" in md
    assert "## 未定位的批注" in md and "删掉的话" in md and "[^3]: 王老师：这句没了" in md
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "1\\. 这不是列表" in md and "\\# 也不是标题" in md and "\\*不\\*" in md


def test_html_escapes_raw_html_and_drops_script_links():
    page = ex.to_html(project(), NOTES)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>路</b>" not in page and 'href="javascript:' not in page.lower()
    assert "<li>切题</li>" in page or "切题" in page
    assert "<ol>" not in page.split('id="answer"')[1].split("footnote")[0]  # "1." stays text
    assert '<html lang="zh-CN">' in page and 'class="footnote"' in page
    assert "<p>最后一段*不*加粗。</p>" in page


def test_docx_has_chinese_fonts_and_real_word_comments():
    data = ex.to_docx(project(), NOTES)
    doc = docx.Document(io.BytesIO(data))
    texts = [p.text for p in doc.paragraphs]
    assert "雨中的<b>路</b>" in texts and "第一段写<script>alert(1)</script>雨。" in texts
    assert [p.style.name for p in doc.paragraphs if p.text == "切题"] == ["List Bullet"]
    comments = {c.text: c.author for c in doc.comments}
    assert comments == {"开头好": "王老师", "再想想（已解决）": "王老师"}
    assert "删掉的话" in " ".join(texts)  # the detached note is listed, not lost
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert 'w:eastAsia="宋体"' in zf.read("word/styles.xml").decode()


def test_text_and_jsonl():
    txt = ex.to_text(project(), NOTES)
    assert "【正文】\n" + ANSWER in txt and "正文（未定位）「删掉的话」" in txt
    rec = json.loads(ex.to_jsonl([project()]))
    assert rec == {
        "id": "u" * 32,
        "query_type": "议论文",
        "query": "以“路”为题，写一篇文章。",
        "thought": THOUGHT,
        "answer": ANSWER,
        "link": "",
        "score": "",
    }


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("雨中的路", "雨中的路"),
        ("我的<路>/第一篇", "我的＜路＞／第一篇"),
        ('a:b?*|\\"', "a：b？＊｜＼＂"),
        ("CON", "未命名_CON"),
        ("  ..  ", "未命名"),
        ("行\n尾\x00", "行 尾"),
    ],
)
def test_safe_filename_keeps_chinese_readable(title, name):
    assert ex.safe_filename(title) == name
    assert len(ex.safe_filename("长" * 500)) == ex.MAX_NAME_CHARS


def test_default_name_falls_back_to_the_prompt_then_the_id():
    assert ex.default_name(project(title="", query="写秋天\n要求：800字")) == "写秋天"
    assert ex.default_name(project(title="", query="")) == "项目7"


def test_write_file_never_leaves_half_a_file(tmp_path, monkeypatch):
    target = tmp_path / "out.md"
    target.write_text("旧内容", encoding="utf-8")

    def full(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("writer_app.config.os.fsync", full)
    with pytest.raises(BadInputError, match="磁盘已满"):
        ex.write_file(target, b"new")
    assert target.read_text(encoding="utf-8") == "旧内容"
    assert [p.name for p in tmp_path.iterdir()] == ["out.md"]  # no temp file left behind
    assert ex.free_path(tmp_path, "out", ".md").name == "out (2).md"


@pytest.mark.parametrize(
    "target", ["javascript:alert(1)", "JavaScript:x", "vbscript:msgbox", "data:text/html;base64,PHNjcmlwdD4="]
)
def test_the_thoughts_unsafe_links_are_plain_text_in_markdown_and_html(target):
    thought = f"## 立意\n[点我]({target}) ![图]({target})\n[ref]: {target}\n[好](https://example.cn)"
    md = ex.to_markdown(project(thought=thought))
    assert f"]({target}" not in md and f"\\[点我\\]\\({target}" in md
    assert "[好](https://example.cn)" in md  # safe links stay links
    page = ex.to_html(project(thought=thought)).lower()
    assert 'href="javascript' not in page and 'src="data' not in page and 'vbscript:msgbox"' not in page
    assert 'href="https://example.cn"' in page


def test_inline_code_in_the_thought_is_escaped_once_in_html():
    page = ex.to_html(project(thought="## 素材\n用 `<script>` 与 `a & b`，再写 <i>斜</i>\n"))
    assert "<code>&lt;script&gt;</code>" in page and "<code>a &amp; b</code>" in page
    assert "&amp;lt;" not in page and "<i>" not in page
