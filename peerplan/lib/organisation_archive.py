"""The organisation archive's container: a zip whose `manifest.json` gives the sha256 of every other member,
so an archive damaged or cut short on its way is refused before anything is read from it. The document
inside (`organisation.json`, format `peerplan-organisation/1`) is described in
peerplan/organisation_archive.md, with its JSON Schema beside it; pages/organisation_export.py writes it and
operations/organisation_import.py reads it.

The manifest detects damage and truncation, not a forgery: anyone can rewrite a zip and its manifest together.
What an import accepts is held by the schema and by every reference resolving, never by trusting the file.
"""

import hashlib
import json
import zipfile
from pathlib import Path

import jsonschema
from django.conf import settings

FORMAT = "peerplan-organisation/1"
DOCUMENT = "organisation.json"
MANIFEST = "manifest.json"
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "peerplan-organisation-1.schema.json"
CHUNK = 64 * 1024


class ArchiveError(ValueError):
    """The archive cannot be imported; the message says why in words for the person importing it."""


def schema():
    return json.loads(SCHEMA_PATH.read_text())


class HashingWriter:
    """Writes to a zip member while hashing what passes, so the manifest costs no second read."""

    def __init__(self, target):
        self.target = target
        self.sha256 = hashlib.sha256()

    def write(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sha256.update(data)
        self.target.write(data)


class ArchiveWriter:
    """A zip being written member by member, each hashed for the manifest written last."""

    def __init__(self, fileobj):
        self.zip = zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED)
        self.hashes = {}

    def member(self, name):
        """A context manager giving a HashingWriter for one new member."""
        return _Member(self, name)

    def close(self):
        manifest = {"format": FORMAT, "files": dict(sorted(self.hashes.items()))}
        self.zip.writestr(MANIFEST, json.dumps(manifest, indent=1))
        self.zip.close()


class _Member:
    def __init__(self, archive, name):
        self.archive, self.name = archive, name

    def __enter__(self):
        self.raw = self.archive.zip.open(self.name, "w", force_zip64=True)
        self.writer = HashingWriter(self.raw)
        return self.writer

    def __exit__(self, *exc):
        self.raw.close()
        self.archive.hashes[self.name] = self.writer.sha256.hexdigest()
        return False


def _within_limits(archive):
    """Refuse, before unpacking anything, an archive whose members would unpack to more than this PeerPlan
    takes: the document is read whole, and a small zip can claim gigabytes (a "zip bomb"). The sizes checked
    are those the zip declares, which zipfile never reads past."""
    members = archive.infolist()
    total = sum(member.file_size for member in members)
    document = sum(member.file_size for member in members if member.filename in (DOCUMENT, MANIFEST))
    if total > settings.ORGANISATION_IMPORT_MAX_BYTES or document > settings.ORGANISATION_IMPORT_MAX_DOCUMENT_BYTES:
        raise ArchiveError(
            "This archive unpacks to more than this PeerPlan imports "
            f"({settings.ORGANISATION_IMPORT_MAX_BYTES // 2**20} MB in all, "
            f"{settings.ORGANISATION_IMPORT_MAX_DOCUMENT_BYTES // 2**20} MB for its document)."
        )


def open_verified(fileobj):
    """The archive as an open ZipFile once every member matches the manifest, none is missing and none
    is extra; an ArchiveError otherwise (a truncated file is not a zip at all)."""
    try:
        archive = zipfile.ZipFile(fileobj)
        _within_limits(archive)
        names = set(archive.namelist())
        if MANIFEST not in names:
            raise ArchiveError("This file has no manifest: it is not a PeerPlan organisation archive.")
        manifest = json.loads(archive.read(MANIFEST))
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ArchiveError(
                f"This archive is in another format ({_format_of(manifest)}); this PeerPlan reads {FORMAT} only."
            )
        listed = manifest.get("files")
        if not isinstance(listed, dict) or DOCUMENT not in listed:
            raise ArchiveError("The archive's manifest lists no organisation document.")
        if names - {MANIFEST} != set(listed):
            raise ArchiveError("The archive's files are not those its manifest lists: it has been changed.")
        for name, expected in listed.items():
            digest = hashlib.sha256()
            with archive.open(name) as member:
                while chunk := member.read(CHUNK):
                    digest.update(chunk)
            if digest.hexdigest() != expected:
                raise ArchiveError(f"The archive's file {name} is not the one exported: it has been changed.")
    except (zipfile.BadZipFile, EOFError, OSError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ArchiveError(
            "This file is not a complete PeerPlan organisation archive (it may have been cut short)."
        ) from error
    return archive


def _format_of(manifest):
    value = manifest.get("format") if isinstance(manifest, dict) else None
    return str(value)[:60] if value else "no format given"


def read_document(archive):
    """The organisation document, held to the schema (an ArchiveError naming the first problem)."""
    try:
        document = json.loads(archive.read(DOCUMENT))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ArchiveError("The archive's organisation document is not valid JSON.") from error
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ArchiveError(f"The archive's document is not in the format {FORMAT}.")
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema()).iter_errors(document))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "the document"
        raise ArchiveError(f"The archive's document does not follow the format, at {where}: {error.message}")
    return document
