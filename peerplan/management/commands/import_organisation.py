"""`manage.py import_organisation ARCHIVE [--owner EMAIL] [--name NAME]`: a site administrator imports an
organisation archive (peerplan-organisation/1) as a new organisation (peerplan/operations/organisation_import.py).
Nothing is imported unless everything can be; the reasons are listed one a line."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from peerplan.operations.organisation_import import ImportRefused, import_organisation


class Command(BaseCommand):
    help = "Import an organisation archive exported from a PeerPlan as a new organisation."

    def add_arguments(self, parser):
        parser.add_argument("archive", help="The .zip file an owner downloaded from the export page.")
        parser.add_argument("--owner", help="The email of a person here to make its owner (else its own owners).")
        parser.add_argument("--name", help="A name for the new organisation (else the archive's).")

    def handle(self, *args, archive, owner, name, verbosity, **options):
        person = None
        if owner:
            person = get_user_model().objects.filter(email__iexact=owner).first()
            if person is None:
                raise CommandError(f"Nobody here has the email address {owner}.")
        try:
            with open(archive, "rb") as fileobj:
                report = import_organisation(fileobj=fileobj, owner=person, name=name)
        except OSError as error:
            raise CommandError(f"Cannot read {archive}: {error.strerror}") from error
        except ImportRefused as refusal:
            raise CommandError("\n".join([str(refusal), *refusal.problems])) from refusal
        if verbosity:
            organisation = report.organisation
            lines = [f"Imported {organisation.name} as /app/orgs/{organisation.slug}/."]
            lines += [f"{section}: {count}" for section, count in report.counts.items()]
            lines += [f"Member: {email}" for email in report.members]
            lines += [f"Invited: {email}" for email in report.invited]
            lines += report.notes
            self.stdout.write("\n".join(lines))
