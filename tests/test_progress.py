"""Long commands show how far they are: on a terminal one line redrawn in place with an estimate of the time
left, elsewhere (cron, CI logs, a pipe) a plain line per tenth of the work. Through call_command, with a
stand-in terminal and a clock that moves 10 seconds each time it is read."""

import itertools
import json
import re
from io import StringIO

import pytest
from django.core.management import call_command

from evidence.models import Finding
from peerplan.lib import progress
from peerplan.models import Organisation


class Terminal(StringIO):
    def isatty(self):
        return True


@pytest.fixture(autouse=True)
def slow_clock(monkeypatch):
    """Each reading of the clock is 10 s after the last: every update is worth drawing, and estimates show."""
    ticks = itertools.count(0, 10)
    monkeypatch.setattr(progress, "clock", lambda: next(ticks))


def drawn(output):
    """The states a terminal showed, in order: each redraw starts with a carriage return."""
    return [part.rstrip() for part in output.split("\r") if part.strip()]


def plain_lines(output, label):
    return [line for line in output.splitlines() if line.startswith(label)]


def seed(stdout, orgs=4):
    call_command(
        "seed_demo", "--orgs", str(orgs), "--checklists-per-org", "1", "--actions-per-item", "0", "--batch", "1",
        stdout=stdout,
    )  # fmt: skip


def test_seed_demo_redraws_one_line_with_an_estimate_on_a_terminal(db):
    terminal = Terminal()

    seed(terminal)

    states = [s for s in drawn(terminal.getvalue()) if s.startswith("Creating organisations")]
    assert states[0].startswith("Creating organisations: 1 of 4 (25%), about ")
    assert re.fullmatch(r"Creating organisations: 1 of 4 \(25%\), about \d+ s left", states[0]), states[0]
    assert [re.search(r"(\d) of 4", s).group(1) for s in states] == ["1", "2", "3", "4", "4"]
    assert re.match(r"Creating organisations: 4 of 4 \(100%\) in \d+ s\n", states[-1] + "\n")
    assert "Created 4 demo organisations" in terminal.getvalue().split("\r")[-1]  # after the line ends
    assert Organisation.objects.count() == 4


def test_seed_demo_writes_plain_lines_when_not_on_a_terminal(db):
    log = StringIO()

    seed(log, orgs=4)

    output = log.getvalue()
    assert "\r" not in output
    lines = plain_lines(output, "Creating organisations")
    assert [line.split(" (")[0] for line in lines] == [f"Creating organisations: {n} of 4" for n in (1, 2, 3, 4)]
    assert re.fullmatch(r"Creating organisations: 2 of 4 \(50%\), about \d+ s left", lines[1])
    assert re.fullmatch(r"Creating organisations: 4 of 4 \(100%\) in \d+ s", lines[-1])


def test_seed_demo_says_nothing_of_progress_when_there_is_nothing_to_create(db):
    seed(StringIO(), orgs=1)
    log = StringIO()

    seed(log, orgs=1)

    assert "Creating organisations" not in log.getvalue()
    assert "nothing created" in log.getvalue()


def test_plain_lines_come_once_per_tenth_however_many_things_there_are(db):
    log = StringIO()
    from django.core.management.base import OutputWrapper

    shown = progress.Progress(OutputWrapper(log), "Counting", 1000)
    for done in range(1, 1001):
        shown.update(done)
    shown.finish()

    lines = log.getvalue().splitlines()
    assert [line.split(" (")[0] for line in lines] == [f"Counting: {n:,} of 1,000" for n in range(100, 1001, 100)]


def test_backup_shows_how_far_it_is_on_a_terminal(db, tmp_path):
    terminal = Terminal()

    call_command("backup", "-o", str(tmp_path / "backup.json"), stdout=terminal)

    states = drawn(terminal.getvalue())
    shares = [int(re.match(r"Backing up: (\d+)%", s).group(1)) for s in states if s.startswith("Backing up")]
    assert len(shares) > 5 and shares == sorted(shares) and shares[-1] == 100
    assert any(re.search(r"Backing up: \d+%, about .+ left", s) for s in states)
    assert re.search(r"Backing up: 100% in .+\n", terminal.getvalue())
    assert json.loads((tmp_path / "backup.json").read_text())  # the file is what it was


def test_backup_writes_plain_lines_when_not_on_a_terminal(db, tmp_path):
    log = StringIO()

    call_command("backup", "-o", str(tmp_path / "backup.json"), stdout=log)

    assert "\r" not in log.getvalue()
    lines = plain_lines(log.getvalue(), "Backing up")
    assert 2 <= len(lines) <= 10
    assert re.fullmatch(r"Backing up: 100% in .+", lines[-1])
    assert "Backed up database 'default'" in log.getvalue()


@pytest.mark.parametrize("name", ["backup.json", "backup.json.gz", "backup.json.xz"])
def test_restore_counts_the_objects_it_loads_on_a_terminal(db, tmp_path, name):
    path = tmp_path / name
    call_command("backup", "-o", str(path), verbosity=0)
    objects = len(_load(path))
    terminal = Terminal()

    call_command("restore", str(path), interactive=False, stdout=terminal)

    states = [s for s in drawn(terminal.getvalue()) if s.startswith("Restoring objects")]
    assert len(states) > 3
    assert any(re.fullmatch(rf"Restoring objects: [\d,]+ of {objects:,} \(\d+%\), about .+ left", s) for s in states)
    assert re.search(rf"Restoring objects: {objects:,} of {objects:,} \(100%\) in .+\n", terminal.getvalue())
    assert Finding.objects.exists()


def _load(path):
    import gzip
    import lzma

    opener = {".gz": gzip.open, ".xz": lzma.open}.get(path.suffix, open)
    with opener(path, "rt", encoding="utf-8") as stream:
        return json.load(stream)


def test_restore_writes_plain_lines_when_not_on_a_terminal(db, tmp_path):
    path = tmp_path / "backup.json"
    call_command("backup", "-o", str(path), verbosity=0)
    objects = len(_load(path))
    log = StringIO()

    call_command("restore", str(path), interactive=False, stdout=log)

    assert "\r" not in log.getvalue()
    lines = plain_lines(log.getvalue(), "Restoring objects")
    assert len(lines) == 10
    assert lines[-1].startswith(f"Restoring objects: {objects:,} of {objects:,} (100%) in ")
    assert "Processed" not in log.getvalue()  # loaddata's own counter is not shown


def release(tmp_path):
    out = StringIO()
    call_command("export_evidence", stdout=out)
    data = json.loads(out.getvalue())
    data["sources"][0]["version"] += 1
    path = tmp_path / "release.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    findings = sum(len(t["findings"]) for c in data["sources"][0]["categories"] for t in c["themes"])
    return str(path), findings


def test_import_evidence_counts_the_findings_on_a_terminal(db, tmp_path):
    path, findings = release(tmp_path)
    terminal = Terminal()

    call_command("import_evidence", path, stdout=terminal)

    states = [s for s in drawn(terminal.getvalue()) if s.startswith("Importing findings")]
    assert states[0].startswith(f"Importing findings: 1 of {findings} (")
    assert any(re.fullmatch(rf"Importing findings: \d+ of {findings} \(\d+%\), about .+ left", s) for s in states)
    assert re.search(rf"Importing findings: {findings} of {findings} \(100%\) in .+\n", terminal.getvalue())
    assert "Imported " in terminal.getvalue()


def test_import_evidence_writes_plain_lines_when_not_on_a_terminal(db, tmp_path):
    path, findings = release(tmp_path)
    log = StringIO()

    call_command("import_evidence", path, "--dry-run", stdout=log)

    assert "\r" not in log.getvalue()
    lines = plain_lines(log.getvalue(), "Reading findings")
    assert len(lines) == 10
    assert lines[-1].startswith(f"Reading findings: {findings} of {findings} (100%) in ")
    assert "nothing was changed" in log.getvalue()
