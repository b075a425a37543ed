"""Export a project as Markdown, HTML, DOCX, plain text or a COIG-Writer JSONL record.

Pure functions of a :class:`Project` and its annotations (no database, no Qt). The writer's own
text is data, never markup: prose is escaped for Markdown, and every export escapes raw HTML so
``<script>`` in an essay stays text. The Thought is Markdown by design and keeps its structure.
"""

from __future__ import annotations

import html
import io
import json
import re
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from writer_app.errors import BadInputError
from writer_app.storage.projects import Annotation, Project

FORMATS = ("md", "html", "docx", "txt", "jsonl", "bundle")
SUFFIX = {
    "md": ".md",
    "html": ".html",
    "docx": ".docx",
    "txt": ".txt",
    "jsonl": ".jsonl",
    "bundle": ".wcbundle",
}
FIELD_LABELS = {"query": "题目", "thought": "构思", "answer": "正文"}
MAX_NAME_CHARS = 60
_WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_FULL_WIDTH = str.maketrans('<>:"/\\|?*', "＜＞：＂／＼｜？＊")  # readable, and legal everywhere
_PRIVATE = re.compile("[\ue000-\uf8ff]")  # markers for footnote places while escaping
_MD_INLINE = re.compile(r"([\\`*_\[\]#|~])")
_MD_LINE_START = re.compile(r"^(\s*)(?:([-+>])|(\d+)([.)]))", re.MULTILINE)
_SAFE_URL = re.compile(r"^(https?:|mailto:|#)", re.IGNORECASE)


# --------------------------------------------------------------------------------------------
# names
# --------------------------------------------------------------------------------------------
def safe_filename(title: str, fallback: str = "未命名") -> str:
    """A file name that works on Linux, Windows and macOS; Chinese stays readable."""
    name = unicodedata.normalize("NFC", title)
    name = _CONTROL.sub("", re.sub(r"\s+", " ", name)).translate(_FULL_WIDTH).strip(" .")
    name = name[:MAX_NAME_CHARS].rstrip(" .")
    if not name or name.upper().split(".")[0] in _WINDOWS_RESERVED:
        name = f"{fallback}_{name}" if name else fallback
    return name


def default_name(project: Project) -> str:
    first_line = project.query.strip().split("\n", 1)[0]
    return safe_filename(project.title or first_line, fallback=f"项目{project.id}")


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------
def escape_prose(text: str) -> str:
    """Plain text → Markdown that renders as that text: specials backslashed, raw HTML escaped,
    one paragraph per line (the app keeps a paragraph per line)."""
    text = _MD_INLINE.sub(r"\\\1", text)
    text = _MD_LINE_START.sub(_escape_line_start, text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    lines = [line.strip(" \t") for line in text.split("\n")]
    return "\n\n".join(line for line in lines if line)


def _escape_line_start(m: re.Match[str]) -> str:
    if m.group(2):
        return f"{m.group(1)}\\{m.group(2)}"
    return f"{m.group(1)}{m.group(3)}\\{m.group(4)}"


# code (fenced blocks, then inline spans of any backtick run) is kept as it is: Markdown shows it
# literally, so escaping it too would show "&amp;lt;" in the HTML export
_MD_CODE = re.compile(
    r"^(`{3,}|~{3,})[^\n]*\n.*?^\1[ \t]*$|(`+)(?!`).+?(?<!`)\2(?!`)", re.MULTILINE | re.DOTALL
)
_MD_LINK = re.compile(r"(!?)\[([^\]\n]*)\]\(\s*<?([^)\s>]*)")
_MD_REF = re.compile(r"^([ ]{0,3})\[([^\]\n]+)\]:[ \t]*<?(\S+?)>?(?=\s|$)", re.MULTILINE)


def _defuse_links(md: str) -> str:
    """Links and images whose target is not http(s), mailto or an anchor (``javascript:``,
    ``vbscript:``, ``data:``…) become plain text: the brackets are escaped, the target shown."""

    def inline(m: re.Match[str]) -> str:
        if _SAFE_URL.match(m.group(3)):
            return m.group(0)
        return f"{m.group(1)}\\[{m.group(2)}\\]\\({m.group(3)}"

    def ref(m: re.Match[str]) -> str:
        if _SAFE_URL.match(m.group(3)):
            return m.group(0)
        return f"{m.group(1)}\\[{m.group(2)}\\]: {m.group(3)}"

    return _MD_REF.sub(ref, _MD_LINK.sub(inline, md))


def escape_thought(md: str) -> str:
    """The Thought is Markdown: keep it, but no raw HTML, no live links to scripts or data, and its
    headings sit one level deeper. Code is left as written."""
    out, pos = [], 0
    for m in _MD_CODE.finditer(md):
        out.append(_defuse_links(md[pos : m.start()].replace("&", "&amp;").replace("<", "&lt;")))
        out.append(m.group(0))
        pos = m.end()
    out.append(_defuse_links(md[pos:].replace("&", "&amp;").replace("<", "&lt;")))
    return re.sub(r"^(#{1,5})(?=[ \t])", r"#\1", "".join(out), flags=re.MULTILINE).strip()


def _with_markers(text: str, notes: list[tuple[int, int]]) -> tuple[str, list[tuple[str, int]]]:
    """Put a private-use marker after each (end, number); return the text and (marker, number)."""
    text = _PRIVATE.sub("", text)
    marks = []
    for end, n in sorted(notes, reverse=True):
        ch = chr(0xE000 + n)
        text = text[:end] + ch + text[end:]
        marks.append((ch, n))
    return text, marks


def _placed(annotations: list[Annotation], field: str, text: str) -> list[Annotation]:
    return [
        a for a in annotations if a.field == field and not a.detached and text[a.start : a.end] == a.quote
    ]


def _note_text(a: Annotation) -> str:
    who = a.author or "批注"
    state = "（已解决）" if a.resolved else ""
    return f"{who}{state}：{a.body}"


def to_markdown(project: Project, annotations: Iterable[Annotation] = ()) -> str:
    """Query, thought and answer; annotations become footnotes at the end of the text they mark."""
    notes = list(annotations)
    numbered: dict[str, int] = {a.uid: i for i, a in enumerate(notes, 1)}
    out = [f"# {escape_prose(project.title or '未命名').replace(chr(10), ' ')}", ""]
    meta = [f"文体：{project.query_type}" if project.query_type else ""]
    if project.tags:
        meta.append("标签：" + "、".join(project.tags))
    meta.append("更新：" + time.strftime("%Y-%m-%d %H:%M", time.localtime(project.updated)))
    out += [escape_prose("　".join(m for m in meta if m)), ""]
    placed_uids: set[str] = set()
    for field in ("query", "thought", "answer"):
        text = getattr(project, field)
        if not text.strip():
            continue
        here = _placed(notes, field, text) if field != "query" else []
        placed_uids.update(a.uid for a in here)
        marked, marks = _with_markers(text, [(a.end, numbered[a.uid]) for a in here])
        body = escape_thought(marked) if field == "thought" else escape_prose(marked)
        for ch, n in marks:
            body = body.replace(ch, f"[^{n}]")
        out += [f"## {FIELD_LABELS[field]}", "", body, ""]
    loose = [a for a in notes if a.uid not in placed_uids]
    if loose:
        out += ["## 未定位的批注", ""]
        for a in loose:
            quote = escape_prose(a.quote).replace("\n\n", " ")
            out.append(f"- {FIELD_LABELS.get(a.field, a.field)}「{quote}」[^{numbered[a.uid]}]")
        out.append("")
    for a in notes:
        out.append(f"[^{numbered[a.uid]}]: {escape_prose(_note_text(a)).replace(chr(10) * 2, ' ')}")
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------
_CSS = """body{max-width:46em;margin:2em auto;padding:0 1em;line-height:1.9;
font-family:"Noto Serif CJK SC","Source Han Serif SC","SimSun","WenQuanYi Micro Hei",serif}
h1,h2,h3{font-family:"Noto Sans CJK SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif}
h2#answer~p{text-indent:2em}.footnote{font-size:.9em;color:#444}"""


def to_html(project: Project, annotations: Iterable[Annotation] = ()) -> str:
    import markdown
    from markdown.extensions import Extension
    from markdown.treeprocessors import Treeprocessor

    class _DropUnsafeLinks(Treeprocessor):
        def run(self, root: Any) -> None:
            for el in root.iter():
                for attr in ("href", "src"):
                    url = el.get(attr)
                    if url is not None and not _SAFE_URL.match(url.strip()):
                        del el.attrib[attr]

    class _Safe(Extension):
        def extendMarkdown(self, md: Any) -> None:  # noqa: N802 - markdown's API
            md.treeprocessors.register(_DropUnsafeLinks(md), "drop_unsafe_links", 0)

    body = markdown.markdown(
        to_markdown(project, annotations),
        extensions=["footnotes", "sane_lists", _Safe()],
        extension_configs={"footnotes": {"BACKLINK_TITLE": "返回第 %d 处批注"}},
        output_format="html",
    )
    body = body.replace("<h2>正文</h2>", '<h2 id="answer">正文</h2>', 1)
    title = html.escape(project.title or "未命名")
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


# --------------------------------------------------------------------------------------------
# plain text
# --------------------------------------------------------------------------------------------
def to_text(project: Project, annotations: Iterable[Annotation] = ()) -> str:
    out = [project.title or "未命名"]
    if project.query_type or project.tags:
        out.append("　".join(x for x in (project.query_type, " ".join(f"#{t}" for t in project.tags)) if x))
    for field in ("query", "thought", "answer"):
        text = getattr(project, field).strip()
        if text:
            out += ["", f"【{FIELD_LABELS[field]}】", text]
    notes = list(annotations)
    if notes:
        out += ["", "【批注】"]
        for i, a in enumerate(notes, 1):
            where = FIELD_LABELS.get(a.field, a.field) + ("（未定位）" if a.detached else "")
            out.append(f"{i}. {where}「{a.quote}」 {_note_text(a)}")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------
# COIG-Writer JSONL
# --------------------------------------------------------------------------------------------
def to_coig(project: Project) -> dict[str, str]:
    """One COIG-Writer record; importing it gives back the same fields."""
    return {
        "id": project.uid,
        "query_type": project.query_type,
        "query": project.query,
        "thought": project.thought,
        "answer": project.answer,
        "link": "",
        "score": "",
    }


def to_jsonl(projects: Iterable[Project]) -> str:
    return "".join(json.dumps(to_coig(p), ensure_ascii=False) + "\n" for p in projects)


# --------------------------------------------------------------------------------------------
# DOCX (Word / WPS): comments are real Word comments on the text they mark
# --------------------------------------------------------------------------------------------
@dataclass
class _Span:
    start: int  # offset in the field's text
    text: str


def _docx_fonts(doc: Any) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    for name, east in (("Normal", "宋体"), ("Title", "黑体"), ("Heading 1", "黑体"), ("Heading 2", "黑体")):
        style = doc.styles[name]
        if name == "Normal":
            style.font.name = "Times New Roman"
            style.font.size = Pt(12)
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        fonts.set(qn("w:eastAsia"), east)


def _lines(text: str) -> list[_Span]:
    spans, pos = [], 0
    for line in text.split("\n"):
        spans.append(_Span(pos, line))
        pos += len(line) + 1
    return spans


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(text: str) -> str:
    """Characters XML cannot hold become spaces (same length, so offsets still line up)."""
    return _XML_BAD.sub(" ", text)


def to_docx(project: Project, annotations: Iterable[Annotation] = ()) -> bytes:
    import docx
    from docx.shared import Pt

    doc = docx.Document()
    _docx_fonts(doc)
    doc.core_properties.title = _xml(project.title or "未命名")
    doc.add_heading(_xml(project.title or "未命名"), level=0)
    meta = "　".join(x for x in (project.query_type, "、".join(project.tags)) if x)
    if meta:
        doc.add_paragraph(_xml(meta))
    notes = list(annotations)
    placed_uids: set[str] = set()
    for field in ("query", "thought", "answer"):
        text = getattr(project, field)
        if not text.strip():
            continue
        doc.add_heading(FIELD_LABELS[field], level=1)
        here = _placed(notes, field, text) if field != "query" else []
        placed_uids.update(a.uid for a in here)
        cuts = sorted({0, len(text), *(a.start for a in here), *(a.end for a in here)})
        runs_at: dict[int, Any] = {}  # start offset of a piece → its run
        ends_at: dict[int, Any] = {}  # end offset of a piece → its run
        for span in _lines(text):
            line, start = span.text, span.start
            skip = 0
            style = None
            if field == "thought":
                m = re.match(r"^(#{1,6})[ \t]+", line)
                b = re.match(r"^\s*[-*+][ \t]+(\[[ xX]\][ \t]+)?", line)
                if m:
                    skip, style = m.end(), "Heading 2"
                elif b:
                    skip, style = b.end(), "List Bullet"
            if not line[skip:].strip():
                continue
            para = doc.add_paragraph(style=style)
            if field == "answer":
                para.paragraph_format.first_line_indent = Pt(24)
            lo, hi = start + skip, start + len(line)
            pieces = [c for c in cuts if lo < c < hi]
            bounds = [lo, *pieces, hi]
            for s0, s1 in zip(bounds, bounds[1:], strict=False):
                run = para.add_run(_xml(text[s0:s1]))
                runs_at.setdefault(s0, run)
                ends_at[s1] = run
        for a in here:
            first = runs_at.get(a.start) or next(
                (r for s, r in sorted(runs_at.items()) if s >= a.start), None
            )
            if first is None:
                placed_uids.discard(a.uid)
                continue
            last = ends_at.get(a.end) or first
            body = a.body + ("（已解决）" if a.resolved else "")
            doc.add_comment([first, last], text=_xml(body), author=_xml(a.author) or "写作伴侣", initials="")
    loose = [a for a in notes if a.uid not in placed_uids]
    if loose:
        doc.add_heading("未定位的批注", level=1)
        for a in loose:
            doc.add_paragraph(
                _xml(f"{FIELD_LABELS.get(a.field, a.field)}「{a.quote}」 {_note_text(a)}"),
                style="List Bullet",
            )
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# writing files
# --------------------------------------------------------------------------------------------
def render(fmt: str, project: Project, annotations: list[Annotation]) -> bytes:
    if fmt == "md":
        return to_markdown(project, annotations).encode("utf-8")
    if fmt == "html":
        return to_html(project, annotations).encode("utf-8")
    if fmt == "txt":
        return to_text(project, annotations).encode("utf-8")
    if fmt == "docx":
        return to_docx(project, annotations)
    if fmt == "jsonl":
        return to_jsonl([project]).encode("utf-8")
    raise BadInputError(f"未知的导出格式 {fmt}；可用：{'、'.join(FORMATS)} (unknown format)")


def write_file(path: Path, data: bytes, *, follow_symlinks: bool = False) -> Path:
    """Atomically (a half-written export never replaces a good file), only to a regular or new
    file (see :func:`writer_app.textio.write_user_file`); one-line errors."""
    from writer_app.textio import write_user_file

    return write_user_file(path, data, follow_symlinks=follow_symlinks)


def free_path(folder: Path, stem: str, suffix: str) -> Path:
    """``folder/stem.suffix``, or ``stem (2).suffix`` … when that exists: never overwrite by default."""
    path = folder / f"{stem}{suffix}"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{stem} ({n}){suffix}"
    return path
