"""Load a "peerplan-evidence/2" release (or a "/1" file, as version 1 of Table 6).

Each source is updated in place by name, so checklists keep pointing at the same findings; findings the
release drops are retired, not deleted. A release must be newer than what is loaded. `--dry-run` lists
what would be added, changed and retired, and per organisation only how many checklists and items it
touches, and changes nothing. Any error leaves the database exactly as it was (one transaction).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evidence.interchange import FORMAT, EvidenceFormatError, import_evidence, parse_json
from peerplan.lib.progress import Progress


class Command(BaseCommand):
    help = f'Import a "{FORMAT}" (or "/1") JSON file; --dry-run previews it without changing anything.'

    def add_arguments(self, parser):
        parser.add_argument("file", help="The JSON file to import.")
        parser.add_argument(
            "--dry-run", action="store_true", help="List what the release would change, and change nothing."
        )

    def handle(self, *args, file, dry_run=False, verbosity=1, **options):
        try:
            text = Path(file).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file") from None
        except UnicodeDecodeError:
            raise CommandError(f"{file}: not JSON: the file is not UTF-8 text") from None
        except OSError as error:
            raise CommandError(f"{file}: cannot read the file ({error.strerror})") from None
        progress = Progress(self.stdout, "Reading findings" if dry_run else "Importing findings", total=0)
        try:
            report = import_evidence(parse_json(text), dry_run=dry_run, progress=progress.update if verbosity else None)
        except EvidenceFormatError as error:
            message = str(error)
            if "nothing was imported" not in message:
                message += "; nothing was imported"
            raise CommandError(f"{file}: {message}") from None
        if verbosity:
            progress.finish()
        if dry_run:
            self.stdout.write(f"Dry run of {file}: nothing was changed. The release would do this:")
        else:
            totals = report.totals()
            self.stdout.write(
                f"Imported {file}: {totals['added']} findings added, {totals['changed']} changed, "
                f"{totals['retired']} retired."
            )
        for line in report.lines():
            self.stdout.write(line)
