"""Load a "peerplan-evidence/1" release, updating the evidence in place by name.

Checklists keep pointing at the same findings; a release that would remove a finding a checklist uses
is refused. Any error leaves the database exactly as it was (one transaction).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evidence.cache import evidence_changed
from evidence.interchange import EvidenceFormatError, import_evidence, parse_json


class Command(BaseCommand):
    help = 'Import a "peerplan-evidence/1" JSON file, updating existing evidence in place by name.'

    def add_arguments(self, parser):
        parser.add_argument("file", help="The JSON file to import.")

    def handle(self, *args, file, **options):
        try:
            text = Path(file).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file") from None
        except UnicodeDecodeError:
            raise CommandError(f"{file}: not JSON: the file is not UTF-8 text") from None
        except OSError as error:
            raise CommandError(f"{file}: cannot read the file ({error.strerror})") from None
        try:
            stats = import_evidence(parse_json(text))
        except EvidenceFormatError as error:
            message = str(error)
            if "nothing was imported" not in message:
                message += "; nothing was imported"
            raise CommandError(f"{file}: {message}") from None
        evidence_changed()
        self.stdout.write(
            f"Imported {file}: {stats['created']} findings added, {stats['changed']} changed, "
            f"{stats['removed']} removed."
        )
