"""Print the published evidence as "peerplan-evidence/2" JSON (see evidence/interchange.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evidence.interchange import FORMAT, dumps, export_evidence
from evidence.models import Source


class Command(BaseCommand):
    help = f'Export the published evidence as "{FORMAT}" JSON, on stdout or into a file (-o FILE).'

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", metavar="FILE", help="Write to FILE instead of stdout.")
        parser.add_argument(
            "--source", metavar="ID", action="append", help="Export only this source (by its id); repeatable."
        )

    def handle(self, *args, output=None, source=None, **options):
        sources = None
        if source:
            found = {s.slug: s for s in Source.objects.published().filter(slug__in=source)}
            missing = [slug for slug in source if slug not in found]
            if missing:
                known = ", ".join(Source.objects.published().values_list("slug", flat=True))
                raise CommandError(f"no published source with id {', '.join(missing)} (known: {known})")
            sources = [found[slug] for slug in source]
        text = dumps(export_evidence(sources))
        if output is None:
            # Written as is: the trailing newline is part of the stable bytes.
            self.stdout.write(text, ending="")
            return
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"{output}: cannot write the file ({error.strerror})") from None
        self.stderr.write(f"Wrote the evidence to {output}.")
