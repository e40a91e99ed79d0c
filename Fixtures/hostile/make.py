#!/usr/bin/env python3
"""Writes the hostile-input corpus of this folder and its manifest.json (see README.md).

Standard library only: PNG, GIF, JPEG, WebP (VP8L) and TIFF are written byte by byte with struct and zlib, so the
output depends on nothing but this script, the zlib version (compressed bytes may differ between zlib releases,
the decoded content never does) and ../thumb-20k.jpg (the only real photograph, used for the truncated JPEG).

    python3 Fixtures/hostile/make.py            # (re)writes every file next to this script
    python3 Fixtures/hostile/make.py --check    # fails when a file differs from what the script writes
"""
import gzip
import json
import io
import os
import struct
import sys
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = {}   # name -> bytes


def emit(name, data):
    assert name not in OUT, name
    OUT[name] = bytes(data)


# ---------------------------------------------------------------------------------------------------------- PNG

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_ihdr(width, height, bit_depth, colour_type):
    return png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0))


def zlib_of_repeated(block, count, level=9):
    """zlib stream of `block` repeated `count` times, without holding the whole input in memory."""
    c = zlib.compressobj(level)
    out = []
    batch = max(1, (4 << 20) // max(1, len(block)))
    done = 0
    while done < count:
        n = min(batch, count - done)
        out.append(c.compress(block * n))
        done += n
    out.append(c.flush())
    return b"".join(out)


def png_blank(width, height, bit_depth, colour_type, extra_chunks=()):
    """A complete, valid PNG of zero samples (filter 0 on every row), compressed as hard as zlib can."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour_type]
    row_bytes = (width * channels * bit_depth + 7) // 8
    idat = zlib_of_repeated(b"\x00" * (1 + row_bytes), height)
    chunks = [png_ihdr(width, height, bit_depth, colour_type)]
    chunks += list(extra_chunks)
    # Several IDAT chunks of at most 256 KB, as encoders write them.
    for i in range(0, len(idat), 262144):
        chunks.append(png_chunk(b"IDAT", idat[i:i + 262144]))
    chunks.append(png_chunk(b"IEND", b""))
    return PNG_SIGNATURE + b"".join(chunks)


def png_pattern(width, height):
    """A valid 8-bit RGB PNG with a deterministic, not-too-compressible pattern (for truncation)."""
    raw = bytearray()
    for y in range(height):
        raw.append(0)
        for x in range(width):
            raw += bytes(((x * 7 + y * 3) & 255, (x * y) & 255, (x ^ y) & 255))
    return PNG_SIGNATURE + png_ihdr(width, height, 8, 2) + png_chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + png_chunk(b"IEND", b"")


def icc_bomb(size):
    """zlib stream of an ICC profile whose header says `size` bytes (an RGB display profile), then zeros."""
    header = struct.pack(">I", size) + b"none" + b"\x04\x30\x00\x00" + b"mntrRGB XYZ " + b"\x00" * 12 + b"acsp"
    header += b"\x00" * (128 - len(header))
    c = zlib.compressobj(9)
    out = [c.compress(header + b"\x00" * 4)]   # tag count 0
    block, left = b"\x00" * 65536, size - 132
    while left > 0:
        out.append(c.compress(block[:min(left, 65536)]))
        left -= 65536
    out.append(c.flush())
    return b"".join(out)


def make_png():
    # 20000 x 20000 8-bit grey = 400 MB of samples (1.6 GB as RGBA) in ~390 KB: 400 MP, over the 70 MP limit.
    emit("png-bomb-grey8-20000x20000.png", png_blank(20000, 20000, 8, 0))
    # 1-bit grey 40000 x 40000 = 1.6 GP in ~200 KB: a decoder expanding to 8-bit wants 1.6 GB.
    emit("png-bomb-1bit-40000x40000.png", png_blank(40000, 40000, 1, 0))
    # 16-bit RGBA 8300 x 8300 = 68.89 MP, UNDER the 70 MP input limit; 551 MB of samples, ~0.5 MB of file.
    # The report: `?width=…&format=webp` on it drove the server's RSS to 1 GB. Must be bounded by memory, not pixels.
    emit("png-rgba16-8300x8300.png", png_blank(8300, 8300, 16, 6))
    # Metadata bombs on a small valid image.
    emit("png-text-256k.png", png_blank(64, 64, 8, 0, [png_chunk(b"tEXt", b"Comment\x00" + b"A" * (256 * 1024))]))
    emit("png-iccp-bomb.png", png_blank(64, 64, 8, 2, [png_chunk(b"iCCP", b"bomb\x00\x00" + icc_bomb(800 * 65536))]))
    emit("png-ztxt-bomb.png", png_blank(64, 64, 8, 0, [png_chunk(b"zTXt", b"Comment\x00\x00" + zlib_of_repeated(b"A" * 65536, 800))]))
    # A chunk whose length says 2 GB while the file ends a few bytes later.
    lie = PNG_SIGNATURE + png_ihdr(64, 64, 8, 0) + struct.pack(">I", 0x7FFFFFF0) + b"IDAT" + zlib.compress(b"\x00" * 65) + b"\x00" * 16
    emit("png-chunk-length-lie.png", lie)
    # Truncated: a valid 640 x 640 RGB PNG cut in the middle of its IDAT; and one with nothing after IHDR.
    whole = png_pattern(640, 640)
    emit("png-truncated-half.png", whole[: len(whole) // 2])
    emit("png-header-only.png", PNG_SIGNATURE + png_ihdr(1000, 1000, 8, 2))


# ---------------------------------------------------------------------------------------------------------- JPEG
# A baseline JPEG whose Huffman tables hold one symbol each (DC: category 0, AC: EOB), both with the 1-bit code
# "0": every 8x8 block of a flat mid-grey image is two zero bits. libjpeg accepts such tables.

def jpeg_segment(marker, payload):
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def jpeg_tables():
    dqt = jpeg_segment(0xDB, b"\x00" + b"\x01" * 64)
    one_code = bytes([1] + [0] * 15)
    dht = jpeg_segment(0xC4, b"\x00" + one_code + b"\x00") + jpeg_segment(0xC4, b"\x10" + one_code + b"\x00")
    return dqt, dht


def jpeg_grey(width, height, blocks=None, app_segments=(), comment=None, eoi=True):
    """Grey baseline JPEG; `blocks` = how many 8x8 blocks of scan data to write (default: all of them)."""
    dqt, dht = jpeg_tables()
    sof = jpeg_segment(0xC0, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")
    sos = jpeg_segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    total = ((width + 7) // 8) * ((height + 7) // 8)
    n = total if blocks is None else min(blocks, total)
    bits = 2 * n
    data = b"\x00" * (bits // 8)
    if bits % 8:
        data += bytes([(0xFF >> (bits % 8))])   # the rest of the last byte padded with 1 bits
    parts = [b"\xFF\xD8"] + list(app_segments)
    if comment is not None:
        parts.append(jpeg_segment(0xFE, comment))
    parts += [dqt, sof, dht, sos, data]
    if eoi:
        parts.append(b"\xFF\xD9")
    return b"".join(parts)


def exif_loop_segment():
    """APP1 Exif of ~64 KB: one IFD of ~5,400 garbage entries with huge counts and far offsets, whose Exif and GPS
    sub-IFD pointers and next-IFD pointer all lead back to itself."""
    room = 65533 - 6 - 8 - 2 - 4          # segment max - "Exif\0\0" - TIFF header - entry count - next offset
    n = room // 12
    entries = [struct.pack("<HHII", 0x8769, 4, 1, 8), struct.pack("<HHII", 0x8825, 4, 1, 8),
               struct.pack("<HHII", 0x010F, 2, 0xFFFFFFFF, 0x7FFFFFF0)]  # Make: 4 GB string far past the end
    seed = 12345
    while len(entries) < n:
        seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
        tag = 0x9000 + (seed >> 8) % 0x6000
        kind = 1 + (seed >> 4) % 12
        entries.append(struct.pack("<HHII", tag, kind, 0x10000000 + (seed & 0xFFFF), (seed * 7) & 0xFFFFFFFF))
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", n) + b"".join(entries) + struct.pack("<I", 8)
    return jpeg_segment(0xE1, b"Exif\x00\x00" + tiff)


def make_jpeg():
    # SOF says 65000 x 65000 (4.2 GP, 4.2 GB as grey, 12.7 GB as RGB) and the scan holds 64 blocks.
    emit("jpeg-sof-65000x65000.jpg", jpeg_grey(65000, 65000, blocks=64))
    # A complete, valid 10000 x 10000 grey JPEG (100 MP, over the limit) in ~390 KB.
    emit("jpeg-bomb-10000x10000.jpg", jpeg_grey(10000, 10000))
    photo = open(os.path.join(HERE, "..", "thumb-20k.jpg"), "rb").read()
    emit("jpeg-truncated-half.jpg", photo[: len(photo) // 2])
    # Everything up to the start of scan, and nothing after it.
    sos = photo.index(b"\xFF\xDA")
    emit("jpeg-header-only.jpg", photo[: sos + 2 + struct.unpack(">H", photo[sos + 2: sos + 4])[0]])
    emit("jpeg-exif-64k-loop.jpg", jpeg_grey(64, 64, app_segments=[exif_loop_segment()]))
    # Four maximal APP1 Exif segments in a row (~256 KB of metadata on a 64 x 64 picture).
    emit("jpeg-exif-4-segments.jpg", jpeg_grey(64, 64, app_segments=[exif_loop_segment()] * 4))
    # Polyglot: a valid JPEG with an HTML page in its comment, followed by a ZIP archive holding another page.
    html = b"<html><body><script>alert(document.domain)</script></body></html>"
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as z:
        info = zipfile.ZipInfo("index.html", date_time=(2020, 1, 1, 0, 0, 0))
        z.writestr(info, html)
    emit("polyglot-jpeg-html-zip.jpg", jpeg_grey(64, 64, comment=html) + archive.getvalue())


# ---------------------------------------------------------------------------------------------------------- GIF

def gif(screen_w, screen_h, frame_w, frame_h, lzw_data, trailer=b";", header=b"GIF89a"):
    out = header + struct.pack("<HHBBB", screen_w, screen_h, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    out += b"\x2C" + struct.pack("<HHHHB", 0, 0, frame_w, frame_h, 0) + b"\x02"
    for i in range(0, len(lzw_data), 255):
        block = lzw_data[i:i + 255]
        out += bytes([len(block)]) + block
    return out + b"\x00" + trailer


def make_gif():
    # min code size 2: clear = 4, EOI = 5, codes of 3 bits: clear, 0, EOI -> one pixel, then the image ends.
    tiny = bytes([0b00000100 | (0 << 3) | ((5 & 0b11) << 6), 5 >> 2])
    emit("gif-screen-65535x65535.gif", gif(65535, 65535, 65535, 65535, tiny))
    # A 1 x 1 logical screen holding a 65535 x 65535 frame.
    emit("gif-frame-outside-screen.gif", gif(1, 1, 65535, 65535, tiny))
    # GIF/JavaScript polyglot: the width bytes are "/*", the trailer closes the comment and runs code.
    # As JavaScript: GIF89a/*...*/=alert(document.domain);  As GIF: 10799 x 1 (the frame is one pixel wide).
    head = b"GIF89a/*" + struct.pack("<HBBB", 1, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    body = b"\x2C" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02" + bytes([len(tiny)]) + tiny + b"\x00;"
    assert b"*/" not in head[8:] + body
    emit("polyglot-gif-js.gif", head + body + b"*/=alert(document.domain);")
    # Starts like a GIF, is an HTML page: the magic matches, nothing after it is an image.
    emit("gif-magic-html.gif", b"GIF89a<html><body><script>alert(document.domain)</script></body></html>\n")


# ---------------------------------------------------------------------------------------------------------- WebP

class BitWriter:
    def __init__(self):
        self.value, self.count, self.out = 0, 0, bytearray()

    def put(self, value, bits):
        self.value |= value << self.count
        self.count += bits
        while self.count >= 8:
            self.out.append(self.value & 0xFF)
            self.value >>= 8
            self.count -= 8

    def bytes(self):
        return bytes(self.out) + (bytes([self.value]) if self.count else b"")


def webp_lossless_flat(width, height):
    """A valid lossless (VP8L) WebP of one colour: five one-symbol prefix codes, so each pixel costs zero bits."""
    w = BitWriter()
    w.put(0x2F, 8)
    w.put(width - 1, 14)
    w.put(height - 1, 14)
    w.put(0, 1)       # alpha_is_used
    w.put(0, 3)       # version
    w.put(0, 1)       # no transform
    w.put(0, 1)       # no colour cache
    w.put(0, 1)       # no meta prefix codes
    for _ in range(5):  # green, red, blue, alpha, distance: simple code, 1 symbol, 1-bit symbol 0
        w.put(1, 1); w.put(0, 1); w.put(0, 1); w.put(0, 1)
    data = w.bytes()
    chunk = b"VP8L" + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) % 2 else b"")
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def make_webp():
    # 16383 x 16383 (the format's largest, 268 MP, 805 MB as RGB) in 28 bytes.
    emit("webp-bomb-16383x16383.webp", webp_lossless_flat(16383, 16383))


# ---------------------------------------------------------------------------------------------------------- TIFF

def make_tiff():
    # 100000 x 100000 grey in ONE deflate strip (RowsPerStrip = height): 10 GB claimed, ~50 MB of zeros present.
    strip = zlib_of_repeated(b"\x00" * 65536, 800)
    w = h = 100000
    tags = [(256, 4, w), (257, 4, h), (258, 3, 8), (259, 3, 8), (262, 3, 1), (273, 4, None),
            (277, 3, 1), (278, 4, h), (279, 4, len(strip)), (284, 3, 1)]
    ifd_size = 2 + 12 * len(tags) + 4
    data_offset = 8 + ifd_size
    ifd = struct.pack("<H", len(tags))
    for tag, kind, value in tags:
        if value is None:
            value = data_offset
        packed = struct.pack("<HHI", tag, kind, 1) + (struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value))
        ifd += packed
    ifd += struct.pack("<I", 0)
    emit("tiff-one-strip-100000x100000.tif", b"II*\x00" + struct.pack("<I", 8) + ifd + strip)


# ---------------------------------------------------------------------------------------------------------- SVG

SVG_NS = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'


def make_svg():
    lol = ['<?xml version="1.0"?>', "<!DOCTYPE svg [", '  <!ENTITY lol "lol">']
    for i in range(1, 10):
        prev = "lol" if i == 1 else f"lol{i - 1}"
        lol.append(f'  <!ENTITY lol{i} "' + f"&{prev};" * 10 + '">')
    lol += ["]>", f'<svg {SVG_NS} width="100" height="100"><text x="0" y="20">&lol9;</text></svg>', ""]
    emit("svg-billion-laughs.svg", "\n".join(lol).encode())

    emit("svg-xxe.svg", f"""<?xml version="1.0"?>
<!DOCTYPE svg [
  <!ENTITY xxe SYSTEM "file:///etc/passwd">
  <!ENTITY % remote SYSTEM "http://127.0.0.1:1/evil.dtd">
  %remote;
]>
<svg {SVG_NS} xmlns:xi="http://www.w3.org/2001/XInclude" width="400" height="200">
  <text x="0" y="20">&xxe;</text>
  <text x="0" y="40"><xi:include href="file:///etc/passwd" parse="text"/></text>
  <image x="0" y="60" width="100" height="100" xlink:href="file:///etc/passwd"/>
  <image x="100" y="60" width="100" height="100" href="http://169.254.169.254/latest/meta-data/"/>
  <image x="200" y="60" width="100" height="100" href="http://127.0.0.1:1/ssrf.png"/>
</svg>
""".encode())

    emit("svg-script.svg", f"""<?xml version="1.0"?>
<svg {SVG_NS} width="200" height="200" onload="alert(document.domain)">
  <script type="text/javascript">alert(document.cookie)</script>
  <foreignObject width="200" height="200"><body xmlns="http://www.w3.org/1999/xhtml"><iframe src="javascript:alert(1)"></iframe></body></foreignObject>
  <a xlink:href="javascript:alert(2)"><rect width="100" height="100" fill="red"/></a>
</svg>
""".encode())

    # Rendering at the stated size wants 10^12 pixels.
    emit("svg-huge-dimensions.svg", f'<svg {SVG_NS} width="1000000" height="1000000"><rect width="100%" height="100%" fill="red"/></svg>\n'.encode())

    # gzip'd SVG (svgz): 50 MB of comment inside a valid SVG, ~50 KB on disk.
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9, mtime=0, filename="") as z:
        z.write(f'<svg {SVG_NS} width="100" height="100"><!-- '.encode())
        block = b" " * (1 << 20)
        for _ in range(50):
            z.write(block)
        z.write(b' --><rect width="100" height="100" fill="red"/></svg>\n')
    emit("svgz-bomb.svgz", buffer.getvalue())


# ---------------------------------------------------------------------------------------------------------- others

def make_misc():
    emit("empty.png", b"")
    # 100,000 nested arrays (POST /files with Content-Type: application/json): a recursive parser overflows its stack.
    emit("json-deep-nesting.json", b"[" * 100000 + b"]" * 100000)


# ---------------------------------------------------------------------------------------------------------- multipart
# Raw request bodies for POST /files; manifest.json gives each one's Content-Type header.

B = b"hostile-boundary"


def part(headers, body):
    return b"--" + B + b"\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n" + body + b"\r\n"


def file_part(body=b"hello", filename=b"a.txt", kind=b"text/plain"):
    return part([b'Content-Disposition: form-data; name="file"; filename="' + filename + b'"', b"Content-Type: " + kind], body)


END = b"--" + B + b"--\r\n"


def make_multipart():
    good = file_part() + END
    emit("mp-no-boundary.bin", good)                       # sent as "multipart/form-data" with no boundary
    emit("mp-wrong-boundary.bin", good)                    # sent with boundary=not-this-one
    emit("mp-unclosed.bin", file_part(b"x" * 4096)[:-2])   # never closed: no CRLF, no closing delimiter
    emit("mp-empty.bin", b"")
    emit("mp-only-close.bin", END)
    emit("mp-headers-never-end.bin", b"--" + B + b"\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n" + b"X: y\r\n" * 2000)
    emit("mp-huge-header-line.bin", part([b'Content-Disposition: form-data; name="file"; filename="a.txt"', b"X-Junk: " + b"a" * (512 * 1024), b"Content-Type: text/plain"], b"hello") + END)
    emit("mp-huge-filename.bin", file_part(filename=b"a" * (256 * 1024) + b".txt") + END)
    # 5,000 tiny fields before the file.
    fields = b"".join(part([b'Content-Disposition: form-data; name="f%d"' % i], b"1") for i in range(5000))
    emit("mp-5000-parts.bin", fields + file_part() + END)
    # 2,000 file parts of one byte each.
    emit("mp-2000-files.bin", b"".join(file_part(b"x", b"f%d.txt" % i) for i in range(2000)) + END)
    emit("mp-no-content-disposition.bin", part([b"Content-Type: text/plain"], b"hello") + END)
    emit("mp-disposition-without-name.bin", part([b"Content-Disposition: form-data; filename=\"a.txt\"", b"Content-Type: text/plain"], b"hello") + END)
    inner = b"inner-boundary"
    nested = (b"--" + inner + b"\r\nContent-Disposition: file; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
              b"--" + inner + b"\r\nContent-Disposition: file; filename=\"b.txt\"\r\nContent-Type: text/plain\r\n\r\nworld\r\n--" + inner + b"--\r\n")
    emit("mp-nested-multipart.bin", part([b'Content-Disposition: form-data; name="file"', b"Content-Type: multipart/mixed; boundary=" + inner], nested) + END)
    emit("mp-boundary-200-chars.bin", (file_part() + END).replace(B, b"b" * 200))   # RFC 2046: at most 70
    emit("mp-lf-only.bin", (file_part() + END).replace(b"\r\n", b"\n"))
    emit("mp-traversal-filename.bin", file_part(filename=b"../../../../etc/passwd") + END)
    emit("mp-bad-field-json.bin", part([b'Content-Disposition: form-data; name="metadata"'], b"{" * 50000) + file_part() + END)


# ---------------------------------------------------------------------------------------------------------- manifest
# How each file is sent and which answers are acceptable. Tokens: "2xx", "4xx", one status ("413", "503"), or
# "same": a 2xx whose body is the uploaded bytes, untouched (a server that does not transform the format, and
# so never decodes it, answers the original — as safe as a refusal).
# Whatever the entry says, a runner fails: any 5xx other than 503, a dropped connection, a server that stops
# answering /server/ping, a peak RSS over limits.rss_mb, a 2xx that serves active content (HTML, XHTML, SVG, XML,
# JavaScript) without `Content-Security-Policy: sandbox`, a body holding /etc/passwd.

WEBP_200, PNG_FULL, WEBP_FULL = "?width=200&format=webp", "?format=png", "?format=webp"


def upload(file, kind, upload, transform, note, filename=None, transform_full=None):
    """An upload to POST /files (one multipart file part), then GET /assets/:id with three transforms (when the
    upload was accepted): a 200-px-wide WebP, a full-size PNG and a full-size WebP (libwebp holds the whole
    picture). `transform_full` overrides the answers of the two full-size ones."""
    full = transform_full or transform
    return {"file": file, "send": "upload", "filename": filename or file, "type": kind, "upload": upload,
            "original": ["2xx"],
            "transforms": [{"query": WEBP_200, "expect": transform}, {"query": PNG_FULL, "expect": full},
                           {"query": WEBP_FULL, "expect": full}],
            "note": note}


def body(file, content_type, expect, note, path="/files", method="POST"):
    """A raw request body sent as is with the given Content-Type."""
    return {"file": file, "send": "body", "method": method, "path": path, "content_type": content_type, "expect": expect, "note": note}


ANY = ["2xx", "4xx"]
REFUSED = ["4xx"]
NOT_DECODED = ["4xx", "same"]
MP = "multipart/form-data; boundary=" + B.decode()

MANIFEST = {
    "limits": {"rss_mb": 500, "request_timeout_s": 60},
    "rules": "Never a 5xx other than 503, never a dropped connection or a dead server, peak RSS under limits.rss_mb; "
             "2xx answers never serve active content without a sandbox CSP nor the contents of /etc/passwd.",
    "entries": [
        # decompression bombs: over ASSETS_TRANSFORM_MAX_INPUT_PIXELS (70 MP) -> refused from the header
        upload("png-bomb-grey8-20000x20000.png", "image/png", ANY, NOT_DECODED, "400 MP grey PNG in 390 KB: never decoded (refused from the header by the pixel limit, or served untouched)"),
        upload("png-bomb-1bit-40000x40000.png", "image/png", ANY, NOT_DECODED, "1.6 GP 1-bit PNG in 190 KB: never decoded (refused from the header, or served untouched)"),
        upload("jpeg-sof-65000x65000.jpg", "image/jpeg", ANY, NOT_DECODED, "SOF claims 65000 x 65000, the scan holds 64 blocks: never decoded (refused from the header, or served untouched)"),
        upload("jpeg-bomb-10000x10000.jpg", "image/jpeg", ANY, NOT_DECODED, "complete, valid 100 MP grey JPEG in 390 KB: never decoded (refused from the header, or served untouched)"),
        upload("gif-screen-65535x65535.gif", "image/gif", ANY, NOT_DECODED, "logical screen and frame 65535 x 65535 (4.3 GP), one pixel of data: never decoded (refused from the header, or served untouched)"),
        upload("gif-frame-outside-screen.gif", "image/gif", ANY, NOT_DECODED, "1 x 1 screen holding a 65535 x 65535 frame: never decoded (the decoder's canvas is the frame)"),
        upload("webp-bomb-16383x16383.webp", "image/webp", ANY, NOT_DECODED, "valid lossless WebP, 16383 x 16383 (268 MP) in 28 bytes: never decoded (refused from the header, or served untouched)"),
        upload("tiff-one-strip-100000x100000.tif", "image/tiff", ANY, NOT_DECODED, "TIFF 100000 x 100000 in one deflate strip (10 GB claimed): never decoded (refused from the header, or served untouched)"),
        upload("svg-huge-dimensions.svg", "image/svg+xml", ANY, ANY, "SVG of 10^6 x 10^6 px: a full-size render must be refused (or the original served untouched); a 200-px render is legitimate (vector)", transform_full=NOT_DECODED),
        # under the pixel limit, over any sane memory budget
        upload("png-rgba16-8300x8300.png", "image/png", ANY, ["2xx", "4xx", "503"], "16-bit RGBA, 68.9 MP (under the 70 MP limit), 551 MB of samples in 0.5 MB: must be bounded by memory (the RSS limit is the real assertion); drove RSS to 1 GB via format=webp"),
        # metadata bombs on small valid pictures
        upload("png-text-256k.png", "image/png", ANY, ANY, "64 x 64 PNG with a 256 KB tEXt chunk"),
        upload("png-iccp-bomb.png", "image/png", ANY, ANY, "64 x 64 PNG whose iCCP profile inflates to 52 MB"),
        upload("png-ztxt-bomb.png", "image/png", ANY, ANY, "64 x 64 PNG whose zTXt inflates to 52 MB"),
        upload("jpeg-exif-64k-loop.jpg", "image/jpeg", ANY, ANY, "64 x 64 JPEG, 64 KB APP1 Exif: ~5,400 garbage IFD entries, 4 GB counts, sub-IFD and next-IFD pointers looping to itself"),
        upload("jpeg-exif-4-segments.jpg", "image/jpeg", ANY, ANY, "64 x 64 JPEG with four such 64 KB Exif segments"),
        # truncated and broken
        upload("png-truncated-half.png", "image/png", ANY, ANY, "valid 640 x 640 PNG cut in the middle of IDAT: partial render or 4xx"),
        upload("png-header-only.png", "image/png", ANY, NOT_DECODED, "signature + IHDR (1000 x 1000), nothing else: nothing to render"),
        upload("png-chunk-length-lie.png", "image/png", ANY, NOT_DECODED, "a chunk whose length says 2 GB, file ends 40 bytes later"),
        upload("jpeg-truncated-half.jpg", "image/jpeg", ANY, ANY, "real 400 x 225 photo cut at half: partial render or 4xx"),
        upload("jpeg-header-only.jpg", "image/jpeg", ANY, ANY, "JPEG headers up to SOS, no scan data"),
        upload("empty.png", "image/png", ANY, ANY, "zero bytes named .png: refused, or kept as an empty non-image (a transform answers 4xx or the untouched original)"),
        upload("gif-magic-html.gif", "image/gif", ANY, ANY, "GIF89a followed by an HTML page: never served as text/html; a transform is 4xx (or the original untouched, if it was not taken for an image)"),
        # polyglots
        upload("polyglot-jpeg-html-zip.jpg", "image/jpeg", ANY, ANY, "valid JPEG + HTML in a COM segment + a ZIP archive after EOI: served as image/jpeg with nosniff"),
        upload("polyglot-gif-js.gif", "image/gif", ANY, ANY, "valid GIF that is also a JavaScript program: served as image/gif with nosniff"),
        # SVG
        upload("svg-billion-laughs.svg", "image/svg+xml", ANY, NOT_DECODED, "entity expansion (10^9 'lol'): the XML parser must stop (4xx), or the original served untouched and sandboxed"),
        upload("svg-xxe.svg", "image/svg+xml", ANY, ANY, "external entity file:///etc/passwd, XInclude, <image> of file:// and internal http URLs: never read, never fetched"),
        upload("svg-script.svg", "image/svg+xml", ANY, ANY, "<script>, onload, foreignObject, javascript: links: original served with CSP sandbox, transforms are inert rasters"),
        upload("svgz-bomb.svgz", "image/svg+xml", ANY, ANY, "gzip'd SVG inflating to 52 MB of comment"),
        # request bodies
        body("json-deep-nesting.json", "application/json", REFUSED, "100,000 nested arrays (200 KB, under MAX_PAYLOAD_SIZE): 400, never a stack overflow", path="/folders"),
        body("mp-no-boundary.bin", "multipart/form-data", REFUSED, "multipart without a boundary parameter"),
        body("mp-wrong-boundary.bin", "multipart/form-data; boundary=not-this-one", REFUSED, "the body's boundary is not the one announced"),
        body("mp-unclosed.bin", MP, REFUSED, "a 4 KB file part, then the body ends: no closing delimiter; nothing may be kept"),
        body("mp-empty.bin", MP, REFUSED, "empty body"),
        body("mp-only-close.bin", MP, REFUSED, "only the closing delimiter: no file"),
        body("mp-headers-never-end.bin", MP, REFUSED, "part headers (2,000 lines) that never end with a blank line"),
        body("mp-huge-header-line.bin", MP, REFUSED, "a 512 KB header line in the file part: part headers must be bounded"),
        body("mp-huge-filename.bin", MP, ANY, "a 256 KB filename (ideally refused by a part-header bound; if kept, stored under the generated id)"),
        body("mp-5000-parts.bin", MP, REFUSED, "5,000 unknown form fields before the file"),
        body("mp-2000-files.bin", MP, ANY, "2,000 one-byte file parts in one request (bounded, or each created)"),
        body("mp-no-content-disposition.bin", MP, REFUSED, "a part with no Content-Disposition: no file"),
        body("mp-disposition-without-name.bin", MP, ANY, "Content-Disposition with a filename but no name"),
        body("mp-nested-multipart.bin", MP, ANY, "a form part holding a nested multipart/mixed body (RFC 2388 style)"),
        body("mp-boundary-200-chars.bin", "multipart/form-data; boundary=" + "b" * 200, ANY, "a 200-character boundary (RFC 2046: at most 70; ideally 400)"),
        body("mp-lf-only.bin", MP, ANY, "bare LF line endings"),
        body("mp-traversal-filename.bin", MP, ANY, "filename ../../../../etc/passwd: if kept, stored under the generated id (filename_disk has no '/')"),
        body("mp-bad-field-json.bin", MP, ANY, "a 'metadata' field of 50,000 '{' before the file: a parse error or an ignored field, never a stack overflow"),
    ],
}


def main():
    make_png(); make_jpeg(); make_gif(); make_webp(); make_tiff(); make_svg(); make_misc(); make_multipart()
    assert sorted(e["file"] for e in MANIFEST["entries"]) == sorted(OUT), set(OUT) ^ {e["file"] for e in MANIFEST["entries"]}
    # One entry a line, so a diff of the manifest reads entry by entry.
    head = {k: v for k, v in MANIFEST.items() if k != "entries"}
    text = json.dumps(head, indent=1)[:-2] + ',\n "entries": [\n' + ",\n".join("  " + json.dumps(e) for e in MANIFEST["entries"]) + "\n ]\n}\n"
    assert json.loads(text) == MANIFEST
    OUT["manifest.json"] = text.encode()
    check = "--check" in sys.argv
    bad = 0
    for name, data in sorted(OUT.items()):
        path = os.path.join(HERE, name)
        if check:
            if not os.path.exists(path) or open(path, "rb").read() != data:
                print("differs:", name); bad += 1
        else:
            with open(path, "wb") as f:
                f.write(data)
    total = sum(len(d) for d in OUT.values())
    print(f"{len(OUT)} files, {total:,} bytes, largest {max(len(d) for d in OUT.values()):,}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
