"""The export of the benchmark's large organisation (50 active checklists, 1,250 items, 5,000 actions, 100
members, with their history) is written in constant memory: under EXPORT_MEMORY_BOUND of Python allocations at
peak, measured with tracemalloc (the README gives the figure; pytest -s prints it)."""

import json
import tempfile
import time
import tracemalloc
import zipfile

from django.utils import timezone

from bench.large_organisation import SIZE, build_large_organisation
from peerplan.pages.organisation_export import write_archive

EXPORT_MEMORY_BOUND = 16 * 1024 * 1024


def test_the_large_organisation_is_built_as_stated(db):
    started = time.monotonic()
    organisation = build_large_organisation()
    print(f"built in {time.monotonic() - started:.1f} s")
    assert organisation.checklists.filter(status="active").count() == SIZE["checklists"]
    assert organisation.memberships.count() == SIZE["members"]
    assert organisation.checklists.values("items").count() == SIZE["items"]
    assert organisation.checklists.values("mitigations").count() == SIZE["actions"]
    started = time.monotonic()
    with tempfile.TemporaryFile() as archive:
        write_archive(organisation, archive, now=timezone.now())
        print(f"exported in {time.monotonic() - started:.1f} s (not traced), {archive.tell() / 1024 / 1024:.1f} MiB")
        archive.seek(0)
        document = json.loads(zipfile.ZipFile(archive).read("organisation.json"))
    assert len(document["history"]) == SIZE["checklists"] + SIZE["items"] + SIZE["actions"]


def test_exporting_the_large_organisation_stays_under_the_memory_bound(db):
    organisation = build_large_organisation()
    with tempfile.TemporaryFile() as archive:
        started = time.monotonic()
        tracemalloc.start()
        try:
            write_archive(organisation, archive, now=timezone.now())
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        took = time.monotonic() - started
        size = archive.tell()
        archive.seek(0)
        document = json.loads(zipfile.ZipFile(archive).read("organisation.json"))
    assert len(document["actions"]) == SIZE["actions"] and len(document["items"]) == SIZE["items"]
    assert len(document["members"]) == SIZE["members"]
    print(f"export: {size / 1024 / 1024:.1f} MiB archive, peak {peak / 1024 / 1024:.1f} MiB, {took:.1f} s (traced)")
    assert peak < EXPORT_MEMORY_BOUND
