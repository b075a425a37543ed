"""A class's essays in: Word (.docx) and text (.txt, .md) files, one student each, become projects.

A teacher's week starts with 45 files from students. Each file is read on its own, with bounds
(a zip bomb, an XML bomb, a 50 MB file, an image named .docx or an old binary .doc are refused
by name, and the rest of the batch goes on). The student comes from the file name by the
teacher's pattern (``{学号}-{姓名}``); the project is keyed by the class tag and the student
(``source``), so importing the same files again changes nothing, and a student's changed file
becomes a new revision of that student's project rather than a second project.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from writer_app.errors import BadInputError, WriterAppError
from writer_app.storage.projects import ProjectStore
from writer_app.textio import open_binary, read_text_path

ESSAY_SUFFIXES = (".docx", ".txt", ".md")
_TAKEN = (*ESSAY_SUFFIXES, ".doc")  # what a batch reads: an old .doc is refused by name, not skipped
MAX_TEXT_FILE = 5 * 1024 * 1024  # an essay is a few KB; a text file this large is not one
MAX_DOCX_FILE = 50 * 1024 * 1024  # a .docx with photos may be large; only its text is read
MAX_XML = 20 * 1024 * 1024  # document.xml unpacked: ~200 pages of text
MAX_RATIO = 100  # unpacked / packed: Word's XML packs ~10:1; a bomb packs ~1000:1
MAX_ENTRIES = 5000  # parts in the .docx zip
MAX_FILES = 10_000  # files in one batch
TITLE_CHARS = 40  # a first line this short, without a sentence end, is the essay's title

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"


@dataclass
class EssayReport:
    added: list[str] = field(default_factory=list)  # file names, as they were read
    revised: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file name, one-line reason)
    project_ids: list[int] = field(default_factory=list)
    skipped: int = 0  # files past MAX_FILES, not read

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "revised": self.revised,
            "unchanged": self.unchanged,
            "rejected": [{"file": f, "reason": r} for f, r in self.rejected],
            "project_ids": self.project_ids,
            "skipped": self.skipped,
        }

    def summary(self) -> str:
        line = (
            f"作文导入 (essays)：新增 {len(self.added)} 篇，更新 {len(self.revised)} 篇，"
            f"未变 {len(self.unchanged)} 篇，未导入 {len(self.rejected)} 个文件"
        )
        if self.skipped:
            line += f"；文件过多，另有 {self.skipped} 个没有读取 (more than {MAX_FILES} files)"
        return line


# --------------------------------------------------------------------------------------------
# reading one file
# --------------------------------------------------------------------------------------------
def read_essay(path: Path) -> tuple[str, str]:
    """(title, text) of one essay file; a one-line BadInputError when it cannot be one."""
    suffix = path.suffix.lower()
    if suffix == ".doc":
        raise BadInputError(
            "旧版 Word 文档（.doc），请在 Word 或 WPS 中另存为 .docx 再导入 (save it as .docx)"
        )
    if suffix == ".docx":
        title, text = _read_docx(path)
    elif suffix in (".txt", ".md"):
        title, text = "", read_text_path(path, MAX_TEXT_FILE)
    else:
        raise BadInputError(f"不支持的文件类型 {suffix or '（无扩展名）'} (not a .docx, .txt or .md file)")
    text = _tidy(text)
    if not text:
        raise BadInputError("文件里没有文字 (the file holds no text)")
    if not title:  # a short first line without a sentence end is the title ("# 标题" in Markdown)
        first = text.split("\n", 1)[0].strip().lstrip("#").strip()
        if len(first) <= TITLE_CHARS and first[-1:] not in "。！？!?；;":
            title = first
    return title or path.stem, text


def is_essay_path(path: Path) -> bool:
    """A folder, or a file an essay import reads (an old .doc is taken, to be refused by name)."""
    return path.is_dir() or path.suffix.lower() in _TAKEN


def _tidy(text: str) -> str:
    """Lines stripped at the end, runs of blank lines one, no blank start or end."""
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def _safe_xml(data: bytes, what: str) -> Any:
    """Parse ``data`` with no DTD, no entities and no network: an XML bomb is refused."""
    from lxml import etree

    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise BadInputError(f"{what} 含有 DTD 或实体定义，不是正常的 Word 文档 (an XML bomb?)")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise BadInputError(f"{what} 已损坏：{exc} (damaged XML)") from None


def _part(zf: zipfile.ZipFile, name: str, limit: int) -> bytes | None:
    """The bytes of one part of the zip (None when absent), refusing a bomb before unpacking."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        return None
    if info.file_size > limit or info.file_size > max(info.compress_size, 1) * MAX_RATIO:
        raise BadInputError("解压后异常巨大（压缩炸弹？），没有读取 (unpacks far too large: a zip bomb?)")
    with zf.open(info) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise BadInputError("解压后异常巨大（压缩炸弹？），没有读取 (unpacks far too large: a zip bomb?)")
    return data


def _read_docx(path: Path) -> tuple[str, str]:
    """(the document's own title, or ""; its text in reading order): the body's paragraphs and
    tables as they stand, tracked insertions in and deletions out; headers, footers, comments
    and images are other parts and stay out."""
    with open_binary(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > MAX_DOCX_FILE:
            raise BadInputError(f"文件太大（超过 {MAX_DOCX_FILE >> 20} MB）(too large)")
        head = fh.read(8)
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise BadInputError(
                "这是旧版 Word 格式（.doc），请另存为 .docx 再导入 (an old .doc: save it as .docx)"
            )
        fh.seek(0)
        try:
            with zipfile.ZipFile(fh) as zf:
                if len(zf.infolist()) > MAX_ENTRIES:
                    raise BadInputError("压缩包内文件过多，不是正常的 Word 文档 (too many parts)")
                body = _part(zf, "word/document.xml", MAX_XML)
                core = _part(zf, "docProps/core.xml", 1 << 20)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError):
            raise BadInputError("不是有效的 .docx 文件（可能是改了扩展名的其他文件）(not a .docx)") from None
    if body is None:
        raise BadInputError("不是 Word 文档：缺少 word/document.xml (not a Word document)")
    root = _safe_xml(body, "document.xml")
    paragraphs = ["".join(_runs(p)) for p in root.iter(f"{_W}p")]
    title = ""
    if core is not None:
        node = _safe_xml(core, "core.xml").find(_DC_TITLE)
        title = (node.text or "").strip() if node is not None else ""
    return title[:200], "\n".join(paragraphs)


def _runs(paragraph: Any) -> Iterator[str]:
    """A paragraph's text as Word shows it with changes accepted."""
    for el in paragraph.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr"):
        if next(el.iterancestors(f"{_W}del"), None) is not None:  # a tracked deletion
            continue
        if el.tag == f"{_W}t":
            yield el.text or ""
        else:
            yield "\t" if el.tag == f"{_W}tab" else "\n"


# --------------------------------------------------------------------------------------------
# the batch
# --------------------------------------------------------------------------------------------
def student_from_name(stem: str, pattern: str) -> dict[str, str]:
    """The fields the teacher's pattern names, from a file name: ``{学号}-{姓名}`` and
    "20230105-张三" give {"学号": "20230105", "姓名": "张三"}; {} when it does not match."""
    if not pattern.strip():
        return {}
    names: list[str] = []
    regex = ""
    for literal, name in re.findall(r"([^{]*)(?:\{([^}]+)\})?", pattern):
        regex += re.escape(literal)
        if name:
            regex += f"(?P<g{len(names)}>.+?)"
            names.append(name)
    m = re.fullmatch(regex, stem.strip())
    return {n: m.group(f"g{i}").strip() for i, n in enumerate(names)} if m else {}


def _student(stem: str, pattern: str) -> tuple[str, str]:
    """(the student's name to show, the key their files share)."""
    fields = student_from_name(stem, pattern)
    if not fields:
        return stem, stem
    name = fields.get("姓名") or fields.get("name") or next(iter(fields.values()))
    return name, "-".join(fields.values())


def essay_files(paths: Iterable[Path], on_problem: Callable[[str, str], None]) -> Iterator[Path]:
    """The essay files among ``paths``: files as given, folders walked (symlinked folders are
    not followed, so a loop cannot trap the walk); what cannot be walked is reported by name."""
    for path in paths:
        if path.is_dir():

            def walk_error(exc: OSError, top: Path = path) -> None:
                on_problem(
                    str(exc.filename or top), f"无法读取文件夹：{exc.strerror} (cannot read the folder)"
                )

            for folder, dirs, files in os.walk(path, onerror=walk_error, followlinks=False):
                dirs.sort()
                for name in sorted(files):
                    if Path(name).suffix.lower() in _TAKEN and not name.startswith("~$"):
                        yield Path(folder) / name
        else:
            yield path


def import_essays(
    store: ProjectStore,
    paths: Iterable[Path],
    *,
    tag: str = "",
    query: str = "",
    query_type: str = "",
    pattern: str = "",
    cancelled: Callable[[], bool] = lambda: False,
) -> EssayReport:
    """Each essay file in ``paths`` (files, or folders walked) as a project tagged ``tag``, with
    the batch's prompt ``query``; see the module's docstring."""
    report = EssayReport()
    seen = 0
    for path in essay_files(paths, lambda name, why: report.rejected.append((name, why))):
        if cancelled():
            break
        seen += 1
        if seen > MAX_FILES:
            report.skipped += 1
            continue
        name = path.name
        try:
            title, text = read_essay(path)
        except BadInputError as exc:
            report.rejected.append((name, str(exc)))
            continue
        except OSError as exc:  # vanished or unreadable between the walk and the read
            report.rejected.append((name, f"无法读取：{exc.strerror or exc} (cannot read)"))
            continue
        student, key = _student(path.stem, pattern)
        try:
            outcome, pid = store.import_essay(
                f"essay:{tag}:{key}",
                student=student,
                title=title,
                text=text,
                query=query,
                query_type=query_type,
                tags=[tag] if tag else [],
                label=f"导入 {name}",
            )
        except WriterAppError as exc:  # the store refused (disk full): this file, with its reason
            report.rejected.append((name, str(exc)))
            continue
        {"added": report.added, "revised": report.revised, "unchanged": report.unchanged}[outcome].append(
            name
        )
        report.project_ids.append(pid)
    return report
