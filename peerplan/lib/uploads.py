"""What an uploaded file may be: its type checked from its content, its macros refused, its size
limited before it is read whole."""

import os
import re
import unicodedata
import zipfile
import zlib

import olefile
from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from peerplan.lib.errors import Refused

PDF, IMAGE, WORD, EXCEL, POWERPOINT, OPENDOC, TEXT, CSV = (
    "PDF",
    "Image",
    "Word document",
    "Excel workbook",
    "PowerPoint presentation",
    "OpenDocument file",
    "Text",
    "CSV",
)


# extension: (label, content type it is served as)
ALLOWED = {
    ".pdf": (PDF, "application/pdf"),
    ".png": (IMAGE, "image/png"),
    ".jpg": (IMAGE, "image/jpeg"),
    ".jpeg": (IMAGE, "image/jpeg"),
    ".gif": (IMAGE, "image/gif"),
    ".webp": (IMAGE, "image/webp"),
    ".docx": (WORD, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ".xlsx": (EXCEL, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".pptx": (POWERPOINT, "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ".doc": (WORD, "application/msword"),
    ".xls": (EXCEL, "application/vnd.ms-excel"),
    ".ppt": (POWERPOINT, "application/vnd.ms-powerpoint"),
    ".odt": (OPENDOC, "application/vnd.oasis.opendocument.text"),
    ".ods": (OPENDOC, "application/vnd.oasis.opendocument.spreadsheet"),
    ".odp": (OPENDOC, "application/vnd.oasis.opendocument.presentation"),
    ".txt": (TEXT, "text/plain; charset=utf-8"),
    ".md": (TEXT, "text/plain; charset=utf-8"),
    ".csv": (CSV, "text/csv; charset=utf-8"),
}


ALLOWED_IN_WORDS = (
    "PDF, Word, Excel, PowerPoint or OpenDocument files, images (PNG, JPEG, GIF, WebP), plain text or CSV"
)


OOXML_PARTS = {".docx": "word/", ".xlsx": "xl/", ".pptx": "ppt/"}


ODF_TYPES = {
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
}


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


# The stream a legacy Office file keeps its content in: other compound files (installers, Outlook messages,
# Visio drawings) share the OLE2 signature.
OLE2_MAIN_STREAMS = {".doc": {"worddocument"}, ".xls": {"workbook", "book"}, ".ppt": {"powerpoint document"}}


# Where VBA lives in a compound file (Word: Macros/VBA and Macros/PROJECT; Excel: _VBA_PROJECT_CUR/VBA and
# /PROJECT; older versions: _VBA_PROJECT). Names in compound files compare without case.
OLE2_MACRO_NAMES = {"vba", "_vba_project", "macros", "_vba_project_cur", "project"}


# Text that a browser would treat as a page or a drawing if it were ever opened in place.
MARKUP = re.compile(rb"^\s*<(\?xml|!doctype|html|svg|script|head|body|iframe|object)\b", re.IGNORECASE)


# Office and OpenDocument files are ZIP archives, and a member can unpack to a thousand times its size: a
# 150 KB .odt can hold a `mimetype` of hundreds of MB. So an archive is judged by the sizes its directory
# declares before anything is unpacked (zipfile never returns more of a member than it declares: more is a
# CRC error), and the little that is read is read through ZipFile.open() in chunks, never whole.
ARCHIVE_MAX_MEMBERS = 5_000


# zipfile builds an object for every entry of the directory before anything can be counted: 20 MB of empty
# entries is 200,000 objects and over 100 MB of memory. A real document's directory is a few KB.
ARCHIVE_MAX_DIRECTORY = 1024 * 1024


ARCHIVE_MAX_UNPACKED = 256 * 1024 * 1024


# Unpacked to packed, for each member over the grace size: Apache POI's default for Office files. XML packs
# about 10:1; small members may pack better and cost nothing.
ARCHIVE_MAX_RATIO = 100


ARCHIVE_RATIO_GRACE = 100 * 1024


ARCHIVE_CHUNK = 64 * 1024


# LibreOffice keeps Basic macros under Basic/ and other languages' scripts under Scripts/, lists them in the
# manifest, and ties them to events with script:event-listener elements whose links are vnd.sun.star.script:
# URLs. Names and texts are compared in lower case.
ODF_MACRO_FOLDERS = ("basic/", "scripts/")


ODF_MACRO_MANIFEST = tuple(f"full-path={quote}{folder}".encode() for quote in "\"'" for folder in ODF_MACRO_FOLDERS)


ODF_MACRO_CONTENT = (b"<script:event-listener", b"vnd.sun.star.script:")


# [Content_Types].xml names a VBA project or a macro-enabled main part, whatever the parts are called.
OOXML_MACRO_TYPES = (b"vnd.ms-office.vbaproject", b"macroenabled")


MACROS = (
    "contains macros (programs that run when it is opened), which PeerPlan does not keep. Save a copy "
    "without macros (from Office as .docx, .xlsx or .pptx; from LibreOffice after deleting them under Tools > "
    "Macros) and attach that."
)


TOO_PACKED = (
    f"unpacks to far more than a document does (PeerPlan opens archives of at most {ARCHIVE_MAX_MEMBERS:,} "
    f"parts, {ARCHIVE_MAX_UNPACKED // 1024 // 1024} MB unpacked, and no part over {ARCHIVE_MAX_RATIO} times its "
    "packed size), so it is not kept. Save it again from the program that made it and attach that."
)


def _not_one(extension):
    return f"is called a {extension} file, but its content is not one. Attach {ALLOWED_IN_WORDS}, saved in that format."


def _content_refusal(extension, upload):
    """Why the file's content may not be kept, in words that follow its name, or None when it may."""
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    if extension in OLE2_MAIN_STREAMS:
        return _compound_file_refusal(extension, upload, head)
    if extension in OOXML_PARTS or extension in ODF_TYPES:
        return _archive_refusal(extension, upload, head)
    return None if _starts_as(extension, head) else _not_one(extension)


def _starts_as(extension, head):
    """True when the file's first bytes are what its extension says."""
    if extension == ".pdf":
        return head.startswith(b"%PDF-")
    if extension == ".png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if extension in (".jpg", ".jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if extension == ".gif":
        return head[:6] in (b"GIF87a", b"GIF89a")
    if extension == ".webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if extension in (".txt", ".md", ".csv"):
        sample = head.removeprefix(b"\xef\xbb\xbf")
        if b"\x00" in sample or MARKUP.match(sample):
            return False
        try:
            sample.decode("utf-8")
        except UnicodeDecodeError as error:
            # The sample may end inside a character; only a fault before its last 3 bytes counts.
            if error.start < len(sample) - 3:
                return False
        return True
    return False


def _compound_file_refusal(extension, upload, head):
    """A legacy .doc, .xls or .ppt: an OLE2 compound file that opens, with the format's main stream and no
    VBA. The signature alone says nothing of what is inside."""
    if not head.startswith(OLE2):
        return _not_one(extension)
    try:
        with olefile.OleFileIO(upload, raise_defects=olefile.DEFECT_INCORRECT) as compound:
            paths = [[name.lower() for name in path] for path in compound.listdir(streams=True, storages=True)]
    except Exception:
        # A damaged file makes olefile fail in many ways (OSError, struct.error, IndexError, RecursionError,
        # ...), and each means the same here: not a compound file that opens.
        return _not_one(extension)
    finally:
        upload.seek(0)
    if any(OLE2_MACRO_NAMES.intersection(path) for path in paths):
        return MACROS
    if not any(len(path) == 1 and path[0] in OLE2_MAIN_STREAMS[extension] for path in paths):
        return _not_one(extension)
    return None


def _archive_refusal(extension, upload, head):
    """An Office Open XML or OpenDocument file: a ZIP archive within the caps above, with the format's parts
    and no macros."""
    if not head.startswith(b"PK\x03\x04"):
        return _not_one(extension)
    try:
        if not _archive_directory_is_small(upload):
            return TOO_PACKED
        with zipfile.ZipFile(upload) as archive:
            members = archive.infolist()
            if _unpacks_too_far(members):
                return TOO_PACKED
            names = {member.filename for member in members}
            if extension in ODF_TYPES:
                return _opendocument_refusal(extension, archive, names)
            return _office_open_xml_refusal(extension, archive, names)
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, OSError, RuntimeError, NotImplementedError):
        # Damaged, truncated, encrypted, or packed by a method zipfile does not read.
        return _not_one(extension)
    finally:
        upload.seek(0)


def _archive_directory_is_small(upload):
    """True when the archive's end record declares at most ARCHIVE_MAX_MEMBERS members in a directory of at
    most ARCHIVE_MAX_DIRECTORY bytes: read before ZipFile(), which parses exactly the declared directory.
    zipfile's own reader of the record is used (private, but unchanged for many versions) so that both read
    the same record, zip64 included."""
    end = zipfile._EndRecData(upload)
    if end is None:
        raise zipfile.BadZipFile("no end of central directory")
    return end[zipfile._ECD_ENTRIES_TOTAL] <= ARCHIVE_MAX_MEMBERS and end[zipfile._ECD_SIZE] <= ARCHIVE_MAX_DIRECTORY


def _unpacks_too_far(members):
    """True when the archive has too many members, unpacks to too much in all, or has a member that packs
    too well (the declared sizes are enough: nothing is unpacked to find out)."""
    if len(members) > ARCHIVE_MAX_MEMBERS or sum(m.file_size for m in members) > ARCHIVE_MAX_UNPACKED:
        return True
    return any(m.file_size > ARCHIVE_RATIO_GRACE and m.file_size > ARCHIVE_MAX_RATIO * m.compress_size for m in members)


def _member_mentions(archive, name, needles):
    """True when the member holds one of the (lower-case) needles: read in chunks, so a member of any size
    costs one chunk of memory, keeping the end of each chunk for a needle split across two."""
    keep = max(map(len, needles)) - 1
    tail = b""
    with archive.open(name) as member:
        while chunk := member.read(ARCHIVE_CHUNK):
            window = tail + chunk.lower()
            if any(needle in window for needle in needles):
                return True
            tail = window[-keep:]
    return False


def _opendocument_refusal(extension, archive, names):
    # `mimetype` is compared, so no more of it is read than the longest that could match.
    expected = ODF_TYPES[extension].encode()
    if "mimetype" not in names or archive.getinfo("mimetype").file_size > len(expected) + 64:
        return _not_one(extension)
    with archive.open("mimetype") as member:
        if member.read(len(expected) + 64).strip() != expected:
            return _not_one(extension)
    if any(name.lower().lstrip("./").startswith(ODF_MACRO_FOLDERS) for name in names):
        return MACROS
    for part, needles in (("META-INF/manifest.xml", ODF_MACRO_MANIFEST), ("content.xml", ODF_MACRO_CONTENT)):
        if part in names and _member_mentions(archive, part, needles):
            return MACROS
    return None


def _office_open_xml_refusal(extension, archive, names):
    # Macros are code: a macro-enabled document renamed to .docx is refused.
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        return MACROS
    if "[Content_Types].xml" not in names or not any(n.startswith(OOXML_PARTS[extension]) for n in names):
        return _not_one(extension)
    if _member_mentions(archive, "[Content_Types].xml", OOXML_MACRO_TYPES):
        return MACROS
    return None


def safe_file_name(name):
    """The name the file is offered under: no directories, no control characters or quotes, at most 150
    characters, and never empty."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C" and ch not in '"<>:|?*;')
    name = " ".join(name.split()).strip(". ")
    stem, extension = os.path.splitext(name)
    if len(name) > 150:
        name = stem[: 150 - len(extension)] + extension
    return name or "attachment"


def check_upload(upload):
    """(safe name, label, content type) for a file that may be kept, or Refused saying why."""
    name = safe_file_name(upload.name)
    extension = os.path.splitext(name)[1].lower()
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise too_large(name, upload.size)
    if upload.size == 0:
        raise Refused(f"“{name}” is empty.")
    if extension not in ALLOWED:
        raise Refused(f"“{name}” is not a type PeerPlan keeps. Attach {ALLOWED_IN_WORDS}.")
    refusal = _content_refusal(extension, upload)
    if refusal:
        raise Refused(f"“{name}” {refusal}")
    label, content_type = ALLOWED[extension]
    return name, label, content_type


def too_large(name, size, *, about=False):
    """The refusal of a file over ATTACHMENT_MAX_BYTES (`about` when only the request's size is known)."""
    size_shown, limit_shown = _size_beside_limit(size, settings.ATTACHMENT_MAX_BYTES)
    return Refused(
        f"“{name}” is {'about ' if about else ''}{size_shown}; files can be at most {limit_shown}. "
        "Make it smaller (for example, save a PDF at a lower quality) or attach a link to it in a comment."
    )


def _size_beside_limit(size, limit):
    """A size over the limit and the limit, written so that the size visibly exceeds it: "20.3 MB" or
    "20.03 MB" beside "20 MB", never "20 MB" beside "20 MB"; the exact bytes of both when two decimals
    are not enough."""
    scale, unit = next(((s, u) for s, u in ((1024**3, "GB"), (1024**2, "MB"), (1024, "KB")) if size >= s), (1, ""))
    for decimals in (1, 2) if unit else ():
        shown = f"{size / scale:.{decimals}f}"
        if float(shown) > limit / scale:
            return f"{shown} {unit}".replace(".0 ", " "), human_size(limit)
    return f"{size:,} bytes", f"{human_size(limit)} ({limit:,} bytes)"


# The form's other fields and the multipart envelope around the file: a few hundred bytes in practice.
UPLOAD_ENVELOPE = 64 * 1024


class UploadSizeLimit(FileUploadHandler):
    """Refuses an upload whose request body is larger than a file may be, as its file starts: none of the
    file is held in memory, written to a temporary file or checked. The body's length is known before it is
    read (Django reads no more than CONTENT_LENGTH), so a file within the limit is never cut off, and one just
    over it (inside the envelope) is taken in and measured exactly by check_upload.

    The fields before the file (the CSRF token) are parsed as usual; the rest of the body is read and dropped
    (connection_reset=False), so the browser, still sending, gets the page saying why rather than a reset
    connection. What is read and dropped is bounded by the proxy's body limit (README, Uploads)."""

    body_length = 0  # not content_length: FileUploadHandler keeps the file part's own there
    refused = None

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.body_length = content_length

    def new_file(self, field_name, file_name, *args, **kwargs):
        super().new_file(field_name, file_name, *args, **kwargs)
        if self.body_length > settings.ATTACHMENT_MAX_BYTES + UPLOAD_ENVELOPE:
            self.refused = too_large(safe_file_name(file_name), self.body_length, about=True)
            raise StopUpload(connection_reset=False)

    def receive_data_chunk(self, raw_data, start):
        return raw_data

    def file_complete(self, file_size):
        return None


def human_size(size):
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:.1f} {unit}".replace(".0 ", " ")
        size /= 1024
    return f"{size} bytes"
