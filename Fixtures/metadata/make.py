#!/usr/bin/env python3
"""Writes the embedded-metadata fixtures of this folder (see README.md).

Standard library only: the Exif blocks (TIFF structures), the IPTC-IIM datasets inside a Photoshop resource block,
the XMP packet and the ICC profiles are written byte by byte with struct; the JPEG is ../thumb-20k.jpg with these
segments inserted after its SOI, the PNG a small gradient written with zlib.

    python3 Fixtures/metadata/make.py            # (re)writes every file next to this script
    python3 Fixtures/metadata/make.py --check    # fails when a file differs from what the script writes
"""
import os
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = {}

# ------------------------------------------------------------------------------------------------------------ Exif

ASCII, SHORT, LONG, RATIONAL, UNDEFINED, BYTE, SRATIONAL = 2, 3, 4, 5, 7, 1, 10
SIZES = {BYTE: 1, ASCII: 1, SHORT: 2, LONG: 4, RATIONAL: 8, UNDEFINED: 1, SRATIONAL: 8}


def tiff(order, directories):
    """A TIFF structure (as an Exif block holds it). `directories` maps a name to a list of (tag, type, values);
    `ifd0` comes first and links to `ifd1`; a value ("->", name) is the offset of that directory."""
    e = "<" if order == "II" else ">"
    names = list(directories)
    # Lay out: header, then each directory followed by its out-of-line values.
    offsets, blobs, cursor = {}, {}, 8
    for name in names:
        entries = sorted(directories[name])
        offsets[name] = cursor
        cursor += 2 + 12 * len(entries) + 4
        data = b""
        for tag, kind, values in entries:
            if isinstance(values, tuple):
                continue   # a directory pointer: one LONG, in the entry
            payload = encode(e, kind, values)
            if len(payload) > 4:
                data += payload + (b"\0" if len(payload) % 2 else b"")
        blobs[name] = data
        cursor += len(data)
    out = bytearray(order.encode() + struct.pack(e + "HI", 42, offsets[names[0]]))
    for name in names:
        entries = sorted(directories[name])
        values_at = offsets[name] + 2 + 12 * len(entries) + 4
        out += struct.pack(e + "H", len(entries))
        for tag, kind, values in entries:
            if isinstance(values, tuple) and values[0] == "->":
                values = [offsets[values[1]]]
            payload = encode(e, kind, values)
            count = len(payload) // SIZES[kind]
            if len(payload) <= 4:
                out += struct.pack(e + "HHI", tag, kind, count) + payload.ljust(4, b"\0")
            else:
                out += struct.pack(e + "HHII", tag, kind, count, values_at)
                values_at += len(payload) + (len(payload) % 2)
        following = offsets["ifd1"] if name == "ifd0" and "ifd1" in directories else 0
        out += struct.pack(e + "I", following)
        out += blobs[name]
    return bytes(out)


def encode(e, kind, values):
    if kind == ASCII:
        return values.encode("latin-1") + b"\0"
    if kind in (UNDEFINED, BYTE):
        return bytes(values)
    if kind in (RATIONAL, SRATIONAL):
        return b"".join(struct.pack(e + ("II" if kind == RATIONAL else "ii"), n, d) for n, d in values)
    return b"".join(struct.pack(e + ("H" if kind == SHORT else "I"), v) for v in values)


def exif(order, orientation=1):
    return b"Exif\0\0" + tiff(order, {
        "ifd0": [
            (0x010F, ASCII, "Canon"), (0x0110, ASCII, "Canon EOS 5D Mark IV"), (0x0112, SHORT, [orientation]),
            (0x011A, RATIONAL, [(72, 1)]), (0x011B, RATIONAL, [(72, 1)]), (0x0128, SHORT, [2]),
            (0x0131, ASCII, "  Depot fixture 1.0  "), (0x0132, ASCII, "2024:05:20 17:02:00"), (0x013B, ASCII, "Jane Doe"),
            (0x8769, LONG, ("->", "exif")), (0x8825, LONG, ("->", "gps")),
        ],
        "ifd1": [(0x0103, SHORT, [6]), (0x011A, RATIONAL, [(180, 1)])],
        "exif": [
            (0x829A, RATIONAL, [(1, 250)]), (0x829D, RATIONAL, [(28, 10)]), (0x8822, SHORT, [2]), (0x8827, SHORT, [400]),
            (0x9000, UNDEFINED, b"0232"), (0x9003, ASCII, "2024:05:20 17:01:59"), (0x9204, SRATIONAL, [(-1, 3)]),
            (0x920A, RATIONAL, [(50, 1)]), (0xA005, LONG, ("->", "interop")), (0xA434, ASCII, "EF50mm f/1.8 STM"),
            (0xA432, RATIONAL, [(50, 1), (50, 1), (18, 10), (18, 10)]), (0xC7FF, SHORT, [7]),
        ],
        "gps": [
            (0x0000, BYTE, [2, 3, 0, 0]), (0x0001, ASCII, "N"), (0x0002, RATIONAL, [(52, 1), (31, 1), (1234, 100)]),
            (0x0003, ASCII, "E"), (0x0004, RATIONAL, [(13, 1), (24, 1), (5678, 100)]), (0x0006, RATIONAL, [(345, 10)]),
        ],
        "interop": [(0x0001, ASCII, "R98")],
    })


# ------------------------------------------------------------------------------------------------------------ IPTC

def iptc():
    """A Photoshop resource block: a digest resource (whose bytes contain 1C 02, which is not IPTC), then the
    IPTC-IIM resource 0x0404 with UTF-8 datasets."""
    def dataset(record, number, text):
        data = text.encode("utf-8") if isinstance(text, str) else text
        return struct.pack(">BBBH", 0x1C, record, number, len(data)) + data
    iim = (dataset(1, 90, b"\x1b%G") + dataset(2, 0, b"\x00\x04") + dataset(2, 5, "Red panda") +
           dataset(2, 25, "red panda") + dataset(2, 25, "zoo") + dataset(2, 25, "Ailurus fulgens") +
           dataset(2, 55, "20240520") + dataset(2, 80, "Jane Doe") + dataset(2, 105, "Red panda in the snow") +
           dataset(2, 116, "© 2024 Jane Doe") + dataset(2, 120, "A red panda sits in fresh snow.  "))

    def resource(number, data):
        return b"8BIM" + struct.pack(">H", number) + b"\0\0" + struct.pack(">I", len(data)) + data + (b"\0" if len(data) % 2 else b"")
    return b"Photoshop 3.0\0" + resource(0x0425, b"\x1c\x02\x78\x00\x04fake" + b"\0" * 8) + resource(0x0404, iim)


# ------------------------------------------------------------------------------------------------------------- XMP

XMP = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    '<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Red panda</rdf:li></rdf:Alt></dc:title>'
    '<dc:creator><rdf:Seq><rdf:li>Jane Doe</rdf:li></rdf:Seq></dc:creator>'
    '<dc:subject><rdf:Bag><rdf:li>red panda</rdf:li><rdf:li>zoo</rdf:li></rdf:Bag></dc:subject>'
    '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
).encode("utf-8")

# ------------------------------------------------------------------------------------------------------------- ICC


def icc(version, description, copyright):
    """A matrix/TRC RGB display profile (D50 white, sRGB primaries, gamma 2.2). Version 2 profiles hold their
    texts as `desc` and `text`, version 4 ones as `mluc`."""
    def s15(x):
        return struct.pack(">i", round(x * 65536))

    def xyz(x, y, z):
        return b"XYZ \0\0\0\0" + s15(x) + s15(y) + s15(z)

    def text(value):
        if version >= 4:
            utf16 = value.encode("utf-16-be")
            return b"mluc\0\0\0\0" + struct.pack(">II", 1, 12) + b"enUS" + struct.pack(">II", len(utf16), 28) + utf16
        return b"text\0\0\0\0" + value.encode("ascii") + b"\0"

    def desc(value):
        if version >= 4:
            return text(value)
        ascii = value.encode("ascii") + b"\0"
        return b"desc\0\0\0\0" + struct.pack(">I", len(ascii)) + ascii + b"\0" * 4 + b"\0" * 2 + b"\0" * 67

    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(2.2 * 256))
    tags = [(b"desc", desc(description)), (b"cprt", text(copyright)), (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
            (b"rXYZ", xyz(0.4361, 0.2225, 0.0139)), (b"gXYZ", xyz(0.3851, 0.7169, 0.0971)),
            (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)), (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)]
    table, data = b"", b""
    at = 128 + 4 + 12 * len(tags)
    for signature, body in tags:
        table += signature + struct.pack(">II", at + len(data), len(body))
        data += body + b"\0" * (-len(body) % 4)
    size = at + len(data)
    header = (struct.pack(">I", size) + b"none" + bytes([version, 0x10 if version == 2 else 0x30, 0, 0]) + b"mntrRGB XYZ " +
              struct.pack(">6H", 2024, 5, 20, 0, 0, 0) + b"acspAPPL" + b"\0" * 4 + b"none" + b"none" + b"\0" * 8 +
              struct.pack(">I", 0) + s15(0.9642) + s15(1.0) + s15(0.8249) + b"none" + b"\0" * 44)
    assert len(header) == 128, len(header)
    return header + struct.pack(">I", len(tags)) + table + data


# ------------------------------------------------------------------------------------------------------------ JPEG

def segment(marker, payload):
    assert len(payload) + 2 <= 0xFFFF
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def jpeg():
    photo = open(os.path.join(HERE, "..", "thumb-20k.jpg"), "rb").read()
    assert photo[:2] == b"\xff\xd8"
    profile = icc(2, "Depot test RGB", "No copyright, use freely")
    return (photo[:2] + segment(0xE1, exif("MM")) + segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0" + XMP) +
            segment(0xE2, b"ICC_PROFILE\0\x01\x01" + profile) + segment(0xED, iptc()) + photo[2:])


# ------------------------------------------------------------------------------------------------------------- PNG

def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png():
    width, height = 96, 64
    rows = b"".join(b"\0" + bytes((x * 2 + y) % 256 for x in range(width) for _ in range(3)) for y in range(height))
    profile = icc(4, "Depot test RGB v4", "No copyright, use freely")
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
            png_chunk(b"iCCP", b"Depot test RGB v4\0\0" + zlib.compress(profile, 9)) +
            png_chunk(b"eXIf", exif("II")[6:]) + png_chunk(b"IDAT", zlib.compress(rows, 9)) + png_chunk(b"IEND", b""))


OUT["photo-exif-iptc-xmp-icc.jpg"] = jpeg()
OUT["gradient-exif-icc4.png"] = png()
OUT["exif-little-endian.bin"] = exif("II", orientation=6)
OUT["iptc-photoshop.bin"] = iptc()
OUT["icc-v2.icc"] = icc(2, "Depot test RGB", "No copyright, use freely")
OUT["icc-v4.icc"] = icc(4, "Depot test RGB v4", "No copyright, use freely")
OUT["xmp.xml"] = XMP

if __name__ == "__main__":
    check = "--check" in sys.argv
    bad = []
    for name, data in sorted(OUT.items()):
        path = os.path.join(HERE, name)
        if check:
            if not os.path.exists(path) or open(path, "rb").read() != data:
                bad.append(name)
        else:
            with open(path, "wb") as f:
                f.write(data)
    if bad:
        sys.exit("differs from make.py: " + ", ".join(bad))
