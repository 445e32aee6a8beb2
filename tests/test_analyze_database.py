from django.core.management import call_command
from django.db import connection


def test_analyze_database_gives_the_planner_statistics(db, capsys):
    call_command("analyze_database")
    assert "Planner statistics refreshed." in capsys.readouterr().out
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'evidence_perspective'")
            assert cursor.fetchone()[0] > 0
