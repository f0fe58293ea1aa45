"""dbt unit tests (staging: finality, aliases, FGM; feature windows, pre-game feature rows, grading rules, market grading
rules, yes/no grading, coverage status; in each model's yml) against the replayed warehouse, plus the source tests. dbt
needs the upstream relations to exist, hence the replayed fixture."""


def test_dbt_unit_tests_pass(replayed):
    run = replayed.dbt("test", "--select", "test_type:unit")
    assert run.returncode == 0, run.stdout[-4000:]
    assert "PASS=9" in run.stdout, run.stdout[-2000:]


def test_dbt_source_tests_pass(replayed):
    run = replayed.dbt("test", "--select", "source:*")
    assert run.returncode == 0, run.stdout[-4000:]
    assert "ERROR=0" in run.stdout
