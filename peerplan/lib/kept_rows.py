"""Rows of queries kept by this process, each with the generation it was read in (peerplan/lib/generations.py):
a page being built in the same generation reads them from memory instead of the database. Correct across workers
and hosts, since the generations are read from the shared cache; each worker reads its own copy once."""

import threading
from collections import OrderedDict


class KeptRows:
    """At most `most` entries, the least recently used dropped first. An entry is found only in the generation it
    was kept in; its rows are shared by every request they are found for: read, never changed."""

    def __init__(self, most):
        self.most = most
        self._entries = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, generation):
        """The rows kept under `key` in `generation`, or None."""
        with self._lock:
            found = self._entries.get(key)
            if found is None or found[0] != generation:
                return None
            self._entries.move_to_end(key)
            return found[1]

    def keep(self, key, generation, rows):
        with self._lock:
            self._entries[key] = (generation, rows)
            self._entries.move_to_end(key)
            while len(self._entries) > self.most:
                self._entries.popitem(last=False)

    def clear(self):
        with self._lock:
            self._entries.clear()
