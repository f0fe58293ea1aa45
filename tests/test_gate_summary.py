"""The replay's closing lines (cli/gate_summary.py) on a planted warehouse: per market the gate's
status and interval, the picks published in the window, and the published record with intervals."""

import datetime as dt

import pandas as pd

from nba_assets.cli.gate_summary import gate_summary
from nba_assets.defs.predictions.best_bets import COLUMN_TYPES, GATE_COLUMN_TYPES
from nba_assets.lib import tables
from resources.warehouse.duckdb_warehouse import DuckDBWarehouse

FIRST, LAST = dt.date(2025, 11, 3), dt.date(2025, 11, 4)


def test_the_replay_prints_the_gate_its_picks_and_the_published_record(tmp_path):
    warehouse = DuckDBWarehouse(database=str(tmp_path / "w.duckdb"))
    gate = pd.DataFrame(
        [
            {"game_date": day, "system_id": "ml_market_v1", "market": "threes", "dates": 25, "scored_rows": 1600,
             "brier_skill": 0.021, "skill_low": 0.004, "skill_high": 0.037, "status": "beyond_market", "publish": True}
            for day in (FIRST, LAST)
        ]
        + [{"game_date": LAST, "system_id": "moving_average_v1", "market": "threes", "dates": 25, "scored_rows": 1600,
            "brier_skill": -0.05, "skill_low": -0.07, "skill_high": -0.03, "status": "worse_than_market", "publish": False}]
    ).reindex(columns=list(GATE_COLUMN_TYPES))  # fmt: skip
    picks = pd.DataFrame(
        {
            "game_date": [FIRST, LAST],
            "rank": [1, 1],
            "player_lookup": ["a", "b"],
            "system_id": "ml_market_v1",
            "market": "threes",
            "recommendation": "OVER",
            "line": [1.5, 2.5],
            "book": ["fanduel", "betmgm"],
            "price": [100.0, -110.0],
            "stake": [0.01, 0.01],
            "ev": [0.05, 0.04],
            "consensus_line": [2.5, 2.5],
            "consensus_price": [-105.0, -115.0],
        }
    ).reindex(columns=list(COLUMN_TYPES))
    accuracy = pd.DataFrame(
        {
            "game_date": [FIRST, LAST],
            "player_lookup": ["a", "b"],
            "system_id": "ml_market_v1",
            "market": "threes",
            "actual_value": [2.0, 1.0],
            "player_outcome": "PLAYED",
        }
    )
    end = LAST + dt.timedelta(days=1)
    with warehouse.session():
        warehouse.replace_window(*tables.BEST_BETS_GATE, gate, GATE_COLUMN_TYPES, FIRST, end)
        warehouse.replace_window(*tables.BEST_BETS, picks, COLUMN_TYPES, FIRST, end)
        warehouse.replace_window(
            *tables.MARKET_PROP_ACCURACY,
            accuracy,
            {c: "DATE" if c == "game_date" else "DOUBLE" if c == "actual_value" else "VARCHAR" for c in accuracy},
            FIRST,
            end,
        )
        text = gate_summary(warehouse, FIRST, LAST)
    lines = text.splitlines()
    assert "on 2025-11-04" in lines[0]
    ml = next(line for line in lines if line.split()[:2] == ["threes", "ml_market_v1"])
    assert ml.split()[2:] == ["beyond_market", "+0.0210", "+0.0040..+0.0370", "25", "2", "2"]
    ma = next(line for line in lines if line.split()[:2] == ["threes", "moving_average_v1"])
    assert ma.split()[2] == "worse_than_market" and ma.split()[-2:] == ["0", "0"]
    # the record: a won at his book's 1.5 (+100), b lost at 2.5; per unit (1 - 1) / 2 = 0
    row = next(line for line in lines if line.startswith("| threes | ml_market_v1 |"))
    assert "| 2 | 1-1-0 | 50.0% (" in row and "| 0.0% (" in row
    assert any(line.startswith("| all |") for line in lines)
