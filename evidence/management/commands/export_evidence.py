"""Print the whole evidence base as "peerplan-evidence/1" JSON (see evidence/interchange.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evidence.interchange import dumps, export_evidence


class Command(BaseCommand):
    help = 'Export the evidence base as "peerplan-evidence/1" JSON, on stdout or into a file (-o FILE).'

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", metavar="FILE", help="Write to FILE instead of stdout.")

    def handle(self, *args, output=None, **options):
        text = dumps(export_evidence())
        if output is None:
            # Written as is: the trailing newline is part of the stable bytes.
            self.stdout.write(text, ending="")
            return
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"{output}: cannot write the file ({error.strerror})") from None
        self.stderr.write(f"Wrote the evidence base to {output}.")
