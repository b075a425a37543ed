"""A class's essay files in: each kind and encoding, reading order in Word, the file-name
pattern, idempotent re-import and revisions, and every bad file reported by name alone."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest
from docx import Document

from writer_app.errors import BadInputError
from writer_app.storage.db import open_database
from writer_app.storage.essays import import_essays, read_essay, student_from_name
from writer_app.storage.projects import ProjectStore

ESSAY = "坚持的意义\n清晨的操场上，我一圈又一圈地奔跑。\n汗水湿透了衣背，可我知道，坚持才能看见远方。"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


@pytest.fixture
def store(tmp_path):
    database = open_database(tmp_path / "w.db")
    yield ProjectStore(database)
    database.close()


def _png() -> bytes:
    """A valid 1×1 PNG."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def _docx(path: Path, paragraphs: list[str]) -> Path:
    doc = Document()
    for p in paragraphs:
        doc.add_paragraph(p)
    doc.save(str(path))
    return path


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("utf8.txt", ESSAY.encode("utf-8")),
        ("bom.txt", b"\xef\xbb\xbf" + ESSAY.encode("utf-8")),
        ("gbk.txt", ESSAY.encode("gbk")),
        ("gb18030.md", ("# " + ESSAY).encode("gb18030")),
        ("utf16.txt", b"\xff\xfe" + ESSAY.encode("utf-16-le")),
        ("crlf.txt", ESSAY.replace("\n", "\r\n").encode("utf-8")),
    ],
)
def test_text_files_in_each_encoding(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    title, text = read_essay(path)
    assert title == "坚持的意义"
    assert text.endswith("坚持才能看见远方。") and "\r" not in text


def test_a_docx_with_a_table_header_comment_image_and_tracked_changes_reads_in_order(tmp_path):
    doc = Document()
    doc.sections[0].header.paragraphs[0].text = "页眉：不属于正文"
    doc.add_paragraph("我的老师")
    doc.add_paragraph("第一段在表格之前。")
    table = doc.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "表格左"
    table.cell(0, 1).text = "表格右"
    last = doc.add_paragraph("第三段")
    run = last.add_run("，有批注")
    doc.add_comment(run, text="批注：不属于正文", author="王老师")
    png = io.BytesIO(_png())
    doc.add_picture(png)
    # a tracked insertion and a tracked deletion, as Word writes them
    p = doc.add_paragraph()._p
    from lxml import etree

    p.append(
        etree.fromstring(f'<w:ins xmlns:w="{W}" w:id="1" w:author="a"><w:r><w:t>插入的字</w:t></w:r></w:ins>')
    )
    p.append(
        etree.fromstring(
            f'<w:del xmlns:w="{W}" w:id="2" w:author="a"><w:r><w:delText>删掉的字</w:delText></w:r></w:del>'
        )
    )
    doc.core_properties.title = ""
    path = tmp_path / "老师.docx"
    doc.save(str(path))
    title, text = read_essay(path)
    assert title == "我的老师"
    assert text.index("第一段") < text.index("表格左") < text.index("表格右") < text.index("第三段")
    assert "第三段，有批注" in text and "插入的字" in text
    assert "删掉的字" not in text and "页眉" not in text and "批注：" not in text


def test_the_document_title_is_used_when_the_docx_has_one(tmp_path):
    doc = Document()
    doc.add_paragraph("这一行很长，不是标题，因为它以句号结尾，而且这是第一行的正文内容。")
    doc.core_properties.title = "春天的约定"
    doc.save(str(tmp_path / "a.docx"))
    assert read_essay(tmp_path / "a.docx")[0] == "春天的约定"


@pytest.mark.parametrize(
    ("stem", "pattern", "fields"),
    [
        ("20230105-张三", "{学号}-{姓名}", {"学号": "20230105", "姓名": "张三"}),
        ("高三2班_李四_作文", "高三2班_{姓名}_作文", {"姓名": "李四"}),
        ("随便起的名字", "{学号}-{姓名}", {}),
        ("20230105-张三", "", {}),
    ],
)
def test_the_file_name_pattern(stem, pattern, fields):
    assert student_from_name(stem, pattern) == fields


def test_re_import_is_idempotent_and_a_changed_file_is_a_revision(tmp_path, store):
    folder = tmp_path / "class"
    folder.mkdir()
    _docx(folder / "20230105-张三.docx", ESSAY.split("\n"))
    (folder / "20230106-李四.txt").write_text("秋天\n秋天来了。", encoding="utf-8")
    kwargs = {
        "tag": "高三2班",
        "query": "以“坚持”为话题写作",
        "query_type": "议论文",
        "pattern": "{学号}-{姓名}",
    }
    first = import_essays(store, [folder], **kwargs)
    assert len(first.added) == 2 and not first.rejected
    zhang = store.get(first.project_ids[0])
    assert zhang.student == "张三" and zhang.tags == ["高三2班"] and zhang.title == "坚持的意义"
    assert zhang.query == "以“坚持”为话题写作" and zhang.answer.endswith("看见远方。")
    again = import_essays(store, [folder], **kwargs)
    assert len(again.unchanged) == 2 and not again.added and not again.revised
    assert len(store.list_projects(10)) == 2
    (folder / "20230106-李四.txt").write_text("秋天\n秋天来了，树叶黄了。", encoding="utf-8")
    third = import_essays(store, [folder], **kwargs)
    assert third.revised == ["20230106-李四.txt"] and len(store.list_projects(10)) == 2
    li = store.get(third.project_ids[1])
    assert li.answer.endswith("树叶黄了。")
    kinds = [r.kind for r in store.revisions(li.id, "answer")]
    assert kinds.count("import") == 2  # the old text stays in the history


def _zip(path: Path, parts: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


def test_bad_files_are_refused_by_name_and_the_rest_of_the_batch_goes_on(tmp_path, store):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text(ESSAY, encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.docx").write_bytes(b"")
    (folder / "photo.docx").write_bytes(bytes.fromhex("ffd8ffe000104a464946") + os.urandom(2000))
    (folder / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1000)
    (folder / "huge.txt").write_bytes(("很长的一行。" * 1_000_000).encode("utf-8")[: 50 << 20])
    (folder / "binary.txt").write_bytes(os.urandom(4000))
    _zip(folder / "not-word.docx", {"hello.txt": b"hi"})
    _zip(folder / "bomb.docx", {"word/document.xml": b"<w:document>" + b" " * (60 << 20) + b"</w:document>"})
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<w:document xmlns:w="'
        + W.encode()
        + b'"><w:body><w:p><w:r><w:t>&lol2;</w:t></w:r></w:p></w:body></w:document>'
    )
    _zip(folder / "laughs.docx", {"word/document.xml": laughs})
    _zip(folder / "broken.docx", {"word/document.xml": b"<w:document><w:body><w:p>"})
    os.symlink(folder, folder / "loop")  # a folder link back to itself: not followed
    report = import_essays(store, [folder, tmp_path / "gone.txt"], tag="高三2班")
    assert report.added == ["good.txt"]
    reasons = dict(report.rejected)
    assert set(reasons) == {
        "empty.txt", "blank.docx", "photo.docx", "old.doc", "huge.txt", "binary.txt",
        "not-word.docx", "bomb.docx", "laughs.docx", "broken.docx", "gone.txt",
    }  # fmt: skip
    assert all(r and "\n" not in r for r in reasons.values())
    assert (
        ".docx" in reasons["old.doc"] and "炸弹" in reasons["bomb.docx"] and "DTD" in reasons["laughs.docx"]
    )
    assert "太大" in reasons["huge.txt"] and "找不到" in reasons["gone.txt"]


def test_a_docx_that_is_a_zip_bomb_by_ratio_is_refused_before_unpacking(tmp_path):
    path = _zip(tmp_path / "ratio.docx", {"word/document.xml": b"<a>" + b"0" * (15 << 20) + b"</a>"})
    with pytest.raises(BadInputError, match="炸弹"):
        read_essay(path)


def test_a_file_that_vanishes_midway_is_reported_and_the_rest_kept(tmp_path, store, monkeypatch):
    from writer_app.storage import essays

    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(ESSAY, encoding="utf-8")
    b.write_text("另一篇\n内容。", encoding="utf-8")
    real = essays.read_essay

    def vanishing(path: Path) -> tuple[str, str]:
        if path.name == "a.txt":
            path.unlink()
        return real(path)

    monkeypatch.setattr(essays, "read_essay", vanishing)
    report = import_essays(store, [a, b])
    assert report.added == ["b.txt"] and report.rejected[0][0] == "a.txt"


def test_a_folder_of_five_thousand_files_is_walked(tmp_path, store):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(5000):
        (folder / f"{i:05d}.txt").write_text(f"第{i}篇\n内容{i}。", encoding="utf-8")
    report = import_essays(store, [folder], tag="大班")
    assert len(report.added) == 5000 and not report.rejected
