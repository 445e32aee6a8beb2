"""Django's `loaddata`, then every id sequence moved past the ids that history records name.

Django resets a sequence to the highest id in its table, so a deleted checklist's id (still named by
its history) would be handed to the next organisation's new checklist. Overriding the command covers
every bulk load: `restore`, fixtures, an operator's own `loaddata`."""

from django.core.management.commands import loaddata

from peerplan.lib.sequences import advance_sequences


class Command(loaddata.Command):
    def handle(self, *fixture_labels, **options):
        super().handle(*fixture_labels, **options)
        advance_sequences(self.using)
