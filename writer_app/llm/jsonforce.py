"""The parts of a JSON answer the schema fixes, so the engine writes them without sampling.

A critique's answer is ``{"strengths":["…","…"],"problems":[],"band":"一等","suggestions":[]}``:
of its ~30 tokens about half are keys, brackets and quotes that the schema allows in one way only.
Sampling each costs a full decode step (~45 ms on 2 cores); written by the engine, a run of them
is evaluated as one batch, which costs about one step. This is "jump-forward" decoding as
structured-generation servers do it, for the subset of JSON schema the app's answers use.

:class:`JsonCursor` follows the answer byte by byte as it is written and says which bytes must
come next (:meth:`JsonCursor.forced`). It assumes the compact form (no optional whitespace), which
the engine's grammar then enforces. It is a helper and never the judge: the grammar still checks
every token, forced ones included, and the cursor goes quiet for the rest of an answer (forcing
nothing) as soon as it meets anything it does not model, a schema or a byte it did not expect.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


class _Unsupported(Exception):
    pass


def _literal(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass
class _Frame:
    schema: dict[str, Any]
    kind: str  # object | array | string | enum | integer
    state: str = "open"  # what the next byte belongs to; see JsonCursor._step
    index: int = 0  # object: the property being written; array: items written
    chars: int = 0  # string: characters written
    utf8_left: int = 0  # string: continuation bytes the current character still needs
    escape: int = 0  # string: bytes of an escape still to come (-1: after the backslash)
    typed: bytes = b""  # enum, integer, an object's key: what was written of it
    keys: list[str] = field(default_factory=list)


def _kind(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        if not schema["enum"] or not all(isinstance(v, (str, int)) for v in schema["enum"]):
            raise _Unsupported
        return "enum"
    kind = schema.get("type")
    if kind == "object":
        keys = list(schema.get("properties", {}))
        if not keys or list(schema.get("required", [])) != keys:
            raise _Unsupported  # optional properties: their order and presence are the model's
        return "object"
    if kind in ("array", "string"):
        return str(kind)
    if kind == "integer" and not {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"} & set(schema):
        return "integer"  # its digits are always the model's; bounds have grammars of their own
    raise _Unsupported


def _whole_characters(data: bytes) -> bytes:
    """``data`` without a last character whose UTF-8 bytes are not all there (two enum values
    may share a character's first byte, not the character)."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 == 0x80:
            continue  # a continuation byte: look further back for the lead
        need = 4 if byte >= 0xF0 else 3 if byte >= 0xE0 else 2 if byte >= 0xC0 else 1
        return data if need <= back else data[:-back]
    return data


def _start(schema: dict[str, Any]) -> int | None:
    """The first byte of any value of ``schema``, when there is only one."""
    kind = _kind(schema)
    if kind == "enum":
        starts = {_literal(v)[0] for v in schema["enum"]}
        return starts.pop() if len(starts) == 1 else None
    return {"object": ord("{"), "array": ord("["), "string": ord('"'), "integer": None}[kind]


def _check(schema: dict[str, Any]) -> None:
    """Raises _Unsupported unless every part of ``schema`` is one the cursor models."""
    kind = _kind(schema)
    if kind == "object":
        for sub in schema["properties"].values():
            _check(sub)
    elif kind == "array":
        _check(schema.get("items", {}))


def _key_text(f: _Frame) -> bytes:
    """What an object writes before its property ``f.index``'s value: ``,"key":``."""
    return (b"," if f.index else b"") + _literal(f.keys[f.index]) + b":"


def _enum_options(f: _Frame) -> list[bytes]:
    """An enum's values (as JSON) that begin with what was written of it."""
    return [v for v in map(_literal, f.schema["enum"]) if v.startswith(f.typed)]


def _frame(schema: dict[str, Any]) -> _Frame:
    kind = _kind(schema)
    keys = list(schema.get("properties", {})) if kind == "object" else []
    return _Frame(schema, kind, keys=keys)


class JsonCursor:
    """Where a compact JSON answer for ``schema`` stands, and what must follow."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self._stack: list[_Frame] = []
        self.active = True
        self.complete = False
        try:
            _check(schema)
            self._stack.append(_frame(schema))
        except _Unsupported:
            self.active = False

    def feed(self, data: bytes) -> None:
        """The bytes just written (sampled or forced)."""
        for byte in data:
            if not self.active:
                return
            try:
                self._step(byte)
            except _Unsupported:
                self.active = False

    def forced(self) -> bytes:
        """The bytes the schema fixes from here ("" where the model has a choice)."""
        if not self.active or self.complete:
            return b""
        out = bytearray()
        probe = JsonCursor.__new__(JsonCursor)
        probe._stack = [_Frame(**vars(f)) for f in self._stack]
        probe.active, probe.complete = True, False
        while not probe.complete:
            try:
                byte = probe._only_next()
            except _Unsupported:
                byte = None
            if byte is None:
                break
            out.append(byte)
            probe.feed(bytes([byte]))
            if not probe.active:
                return b""
        return _whole_characters(bytes(out))

    # -- the one byte that can come next, if only one can --------------------------------------
    def _only_next(self) -> int | None:
        f = self._stack[-1]
        if f.kind == "object":
            return self._object_next(f)
        if f.kind == "array":
            return self._array_next(f)
        if f.kind == "string":
            if f.state == "open":
                return ord('"')
            limit = f.schema.get("maxLength")
            if limit is not None and f.chars >= int(limit) and not f.utf8_left and not f.escape:
                return ord('"')
            return None
        if f.kind == "integer":
            return None
        # enum: the next byte when every value still possible agrees on it
        options = _enum_options(f)
        if f.typed in options:
            return None  # complete, yet another value may go on ("2" and "20")
        nexts = {v[len(f.typed)] for v in options}
        return nexts.pop() if len(nexts) == 1 else None

    def _object_next(self, f: _Frame) -> int | None:
        if f.state == "open":
            return ord("{")
        if f.state == "key":
            return _key_text(f)[len(f.typed)]
        if f.state == "after":
            return ord(",") if f.index < len(f.keys) else ord("}")
        return _start(f.schema["properties"][f.keys[f.index]])  # the value's first byte

    def _array_next(self, f: _Frame) -> int | None:
        if f.state == "open":
            return ord("[")
        lo, hi = int(f.schema.get("minItems", 0)), f.schema.get("maxItems")
        full = hi is not None and f.index >= int(hi)
        if f.state == "first":
            if full:
                return ord("]")
            return _start(f.schema.get("items", {})) if lo > 0 else None
        if f.state == "after":
            if full:
                return ord("]")
            return ord(",") if f.index < lo else None
        return _start(f.schema.get("items", {}))  # after a comma

    # -- following a byte ------------------------------------------------------------------------
    def _step(self, byte: int) -> None:
        if self.complete or not self._stack:
            raise _Unsupported  # anything after the answer
        f = self._stack[-1]
        getattr(self, "_" + f.kind)(f, byte)

    def _done(self) -> None:
        """The top value is complete: its parent goes on."""
        self._stack.pop()
        if not self._stack:
            self.complete = True
            return
        parent = self._stack[-1]
        parent.index += 1  # the property, or the item, is written
        parent.state = "after"

    def _push(self, schema: dict[str, Any], byte: int) -> None:
        child = _frame(schema)
        self._stack.append(child)
        self._step(byte)

    def _object(self, f: _Frame, byte: int) -> None:
        if f.state == "open":
            if byte != ord("{"):
                raise _Unsupported
            f.state, f.typed = "key", b""
        elif f.state == "key":
            text = _key_text(f)
            if byte != text[len(f.typed)]:
                raise _Unsupported
            f.typed += bytes([byte])
            if f.typed == text:
                f.state, f.typed = "value", b""
        elif f.state == "value":
            self._push(f.schema["properties"][f.keys[f.index]], byte)
        elif f.state == "after":
            if f.index < len(f.keys):
                f.state, f.typed = "key", b""
                self._object(f, byte)
            elif byte == ord("}"):
                self._done()
            else:
                raise _Unsupported

    def _array(self, f: _Frame, byte: int) -> None:
        if f.state == "open":
            if byte != ord("["):
                raise _Unsupported
            f.state = "first"
        elif f.state in ("first", "after") and byte == ord("]"):
            self._done()
        elif f.state == "after" and byte == ord(","):
            f.state = "comma"
        elif f.state in ("first", "comma"):
            f.state = "item"
            self._push(f.schema.get("items", {}), byte)
        else:
            raise _Unsupported

    def _string(self, f: _Frame, byte: int) -> None:
        if f.state == "open":
            if byte != ord('"'):
                raise _Unsupported
            f.state = "inside"
        elif f.escape:
            if f.escape == -1:
                f.escape = 4 if byte == ord("u") else 0
            else:
                f.escape -= 1
        elif f.utf8_left:
            if byte & 0xC0 != 0x80:
                raise _Unsupported
            f.utf8_left -= 1
        elif byte == ord('"'):
            self._done()
        else:
            f.chars += 1
            if byte == ord("\\"):
                f.escape = -1
            elif byte >= 0xF0:
                f.utf8_left = 3
            elif byte >= 0xE0:
                f.utf8_left = 2
            elif byte >= 0xC0:
                f.utf8_left = 1

    def _enum(self, f: _Frame, byte: int) -> None:
        options = _enum_options(f)
        grown = f.typed + bytes([byte])
        if any(v.startswith(grown) for v in options):
            f.typed = grown
            if grown in options and not any(v.startswith(grown) and v != grown for v in options):
                self._done()
        elif f.typed in options:
            self._done()  # "2" then ",": the value was "2"
            self._step(byte)
        else:
            raise _Unsupported

    def _integer(self, f: _Frame, byte: int) -> None:
        if ord("0") <= byte <= ord("9") or (byte == ord("-") and not f.typed):
            f.typed += bytes([byte])
        elif f.typed.strip(b"-"):
            self._done()  # "12" then ",": the number was 12
            self._step(byte)
        else:
            raise _Unsupported
