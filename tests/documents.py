"""Real documents of each accepted resume format, built in memory for the tests."""

from __future__ import annotations

import io
import struct
import zipfile


def pdf(extra_bytes: int = 0) -> bytes:
    """A small valid one-page PDF; `extra_bytes` of padding in a stream to reach a size."""
    padding = b"%" + b"x" * max(0, extra_bytes - 1) + b"\n" if extra_bytes else b""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
    ]
    content = b"BT /F1 12 Tf 72 720 Td (Jane Doe - Resume) Tj ET\n" + padding
    objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def _member(name: str, compress_type: int = zipfile.ZIP_DEFLATED) -> zipfile.ZipInfo:
    """A zip entry with a fixed timestamp, so building a document twice gives the same bytes."""
    entry = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    entry.compress_type = compress_type
    return entry


_DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
# What Word writes for a .docm: a macro-enabled main part and a VBA project beside it.
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"


def docx(*, main_type: str = _DOCX_MAIN, extra: dict[str, bytes] | None = None) -> bytes:
    """A DOCX; `main_type` and `extra` members make its macro-carrying variants."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            _member("[Content_Types].xml"),
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/word/document.xml" ContentType="{main_type}"/></Types>',
        )
        archive.writestr(
            _member("_rels/.rels"),
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
            "</Relationships>",
        )
        archive.writestr(
            _member("word/document.xml"),
            '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Jane Doe</w:t></w:r></w:p>'
            "</w:body></w:document>",
        )
        for name, data in (extra or {}).items():
            archive.writestr(_member(name), data)
    return buffer.getvalue()


def docm() -> bytes:
    """A macro-enabled Word document: macroEnabled main part and word/vbaProject.bin."""
    return docx(main_type=DOCM_MAIN, extra={"word/vbaProject.bin": doc_with_macros()})


def odt(extra: dict[str, bytes] | None = None) -> bytes:
    """An ODT; `extra` members make its macro-carrying variants (Basic/, Scripts/)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            _member("mimetype", zipfile.ZIP_STORED),
            "application/vnd.oasis.opendocument.text",
        )
        archive.writestr(
            _member("META-INF/manifest.xml"),
            '<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:'
            'xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type='
            '"application/vnd.oasis.opendocument.text"/></manifest:manifest>',
        )
        archive.writestr(
            _member("content.xml"),
            '<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:tc:'
            'opendocument:xmlns:office:1.0"><office:body><office:text>Jane Doe</office:text>'
            "</office:body></office:document-content>",
        )
        for name, data in (extra or {}).items():
            archive.writestr(_member(name), data)
    return buffer.getvalue()


def rtf(body: bytes = b"Jane Doe \\par Attorney resume.") -> bytes:
    return b"{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}}\\f0\\fs24 " + body + b"}\n"


def rtf_with_object() -> bytes:
    """An embedded OLE object, the carrier of the equation-editor exploits (CVE-2017-11882)."""
    return rtf(
        b"Jane Doe {\\object\\objemb\\objw380\\objh260{\\*\\objclass Equation.3}"
        b"{\\*\\objdata 01050000020000000b0000004571756174696f6e2e3300000000000000000000}}"
    )


def doc() -> bytes:
    """A minimal Compound File (OLE2) holding a `WordDocument` stream, as Word 97-2003 writes."""
    return _compound_file(macro_storage=None)


def doc_with_macros(storage: str = "Macros") -> bytes:
    """A Word 97-2003 file with a VBA project: Word keeps it in `Macros/VBA`, Excel in
    `_VBA_PROJECT_CUR/VBA`. The storages are what marks a macro-carrying file."""
    return _compound_file(macro_storage=storage)


def _compound_file(macro_storage: str | None) -> bytes:
    sector = 512
    free, end, fat_sector, no_stream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    stream = (b"\xec\xa5\xc1\x00" + b"Jane Doe resume ").ljust(4096, b"\x00")
    stream_sectors = len(stream) // sector
    header = bytearray(sector)
    header[0:8] = bytes.fromhex("D0CF11E0A1B11AE1")
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<I", header, 44, 1)  # FAT sectors
    struct.pack_into("<I", header, 48, 1)  # first directory sector
    struct.pack_into("<I", header, 56, 4096)  # mini stream cutoff
    struct.pack_into("<IIII", header, 60, end, 0, end, 0)  # no mini FAT, no DIFAT sectors
    struct.pack_into("<I", header, 76, 0)  # DIFAT[0]: the FAT is sector 0
    for index in range(1, 109):
        struct.pack_into("<I", header, 76 + 4 * index, free)
    fat = [fat_sector, end] + [3 + i for i in range(stream_sectors - 1)] + [end]
    fat += [free] * (sector // 4 - len(fat))

    def entry(
        name: str, kind: int, child: int, start: int, size: int, left: int = no_stream
    ) -> bytes:
        raw = bytearray(128)
        encoded = (name + "\x00").encode("utf-16-le") if name else b""
        raw[0 : len(encoded)] = encoded
        struct.pack_into("<HBB", raw, 64, len(encoded), kind, 1)
        struct.pack_into("<III", raw, 68, left, no_stream, child)
        struct.pack_into("<IQ", raw, 116, start, size)
        return bytes(raw)

    if macro_storage is None:
        extra = entry("", 0, no_stream, 0, 0) + entry("", 0, no_stream, 0, 0)
    else:
        # Sibling order is by name length first: the macro storage sorts before WordDocument.
        extra = entry(macro_storage, 1, 3, 0, 0) + entry("VBA", 1, no_stream, 0, 0)
    directory = (
        entry("Root Entry", 5, 1, end, 0)
        + entry(
            "WordDocument", 2, no_stream, 2, len(stream), left=2 if macro_storage else no_stream
        )
        + extra
    )
    return bytes(header) + struct.pack("<128I", *fat) + directory + stream


def text() -> bytes:
    return "Jane Doe\nSenior Paralegal — <5 years in firms, a > b\nEmail: jane (at) example.com\n".encode()


def html_disguised_as_pdf() -> bytes:
    return b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def svg() -> bytes:
    return b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def png() -> bytes:
    return (
        bytes.fromhex("89504E470D0A1A0A0000000D4948445200000001000000010806000000") + b"\x00" * 64
    )
