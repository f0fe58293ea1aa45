"""The dbt project documents itself: every model, seed and source table has a description, lists
its columns, and describes each (what `dbt docs` and Dagster's asset pages show). Read from the
manifest `make` parses (dbt_project/target/manifest.json); that each model's yml lists exactly the
columns its SQL outputs is checked on the compiled SQL in tests/test_bigquery_sql.py."""

import json

from tests.conftest import MANIFEST


def test_every_model_seed_source_and_column_is_described():
    manifest = json.loads(MANIFEST.read_text())
    documented = [
        *(
            n
            for n in manifest["nodes"].values()
            if n["resource_type"] in ("model", "seed") and n["package_name"] == "nba"
        ),
        *manifest["sources"].values(),
    ]
    assert {n["name"] for n in documented} >= {"stg_nba_raw__schedule", "player_market_features", "schedule"}
    missing = []
    for node in documented:
        if not node["description"].strip():
            missing.append(node["unique_id"])
        if not node["columns"]:
            missing.append(f"{node['unique_id']}: no columns listed")
        missing += [
            f"{node['unique_id']}.{name}"
            for name, column in node["columns"].items()
            if not column["description"].strip()
        ]
    assert not missing, f"described nowhere in the yml: {missing}"
