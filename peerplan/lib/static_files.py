"""The static files' storage: WhiteNoise's (compressed copies, names with a hash of the contents), with each
file's address worked out once per process rather than on every page."""

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFiles(CompressedManifestStaticFilesStorage):
    """Every page names the same stylesheet, scripts and icons (base.html: eight of them), and each `{% static %}`
    looked its name up in the manifest and built its address again: a tenth of a signed-in page's floor. The
    manifest is read once, when the process starts, and `collectstatic` before a restart is what changes it,
    so an address once worked out holds for the life of the process. A name missing from the manifest raises
    as before (nothing is kept for it)."""

    # Far more than the names the templates use; a bound, so no run of odd names can grow it without end.
    MOST_KEPT = 2000

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._addresses = {}

    def url(self, name, force=False):
        key = (name, force, settings.DEBUG)
        address = self._addresses.get(key)
        if address is None:
            address = super().url(name, force)
            if len(self._addresses) < self.MOST_KEPT:
                self._addresses[key] = address
        return address
