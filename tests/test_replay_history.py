"""More history: a replay can start in any season the archive covers (2021-22: NBA.com box scores
in the BoxScoreTraditional shape and LeagueGameFinder team rows)."""

from tests.conftest import ARCHIVE, Pipeline, read_text

BOX_2021 = "boxscores/player_game_logs_2021_22.csv.gz"
SCHEDULE_2021 = "schedule/team_games_2021_22.csv.gz"
FIRST, LAST = "2021-10-19", "2021-10-21"


def test_a_replay_starts_in_2021_22(tmp_path):
    archive = tmp_path / "archive"
    for rel, date_column in ((BOX_2021, "game_date"), (SCHEDULE_2021, "GAME_DATE")):
        rows = read_text(ARCHIVE / rel)
        rows = rows[(rows[date_column].str[:10] >= FIRST) & (rows[date_column].str[:10] <= LAST)]
        (archive / rel).parent.mkdir(parents=True, exist_ok=True)
        rows.to_csv(archive / rel, index=False)
    pipeline = Pipeline(tmp_path, archive)
    assert all(result.success for result in pipeline.replay(FIRST, LAST))
    games = pipeline.query("SELECT game_date, count(*) AS n FROM nba_raw.schedule GROUP BY ALL ORDER BY 1")
    # Opening night 2021-22: BKN @ MIL and GSW @ LAL; then 11 games, then 3.
    assert games["n"].tolist() == [2, 11, 3]
    played = pipeline.query(
        "SELECT player_name, points FROM nba_raw.player_boxscores WHERE game_date = DATE '2021-10-19' "
        "AND player_name = 'Giannis Antetokounmpo'"
    )
    assert played["points"].tolist() == [32]
    # 2021-10-21: MIL's and GSW's players have rows whose features use their opening-night games,
    # never the date. Their opponents LAC and MIA (and the third game's teams) play their first
    # game: before it no box score of the season names their players and 2021 has no lines, so a
    # pre-game table has no rows for them.
    features = pipeline.query(
        "SELECT team_abbr, max(last_feature_game_date) AS last FROM nba_features.player_market_features "
        "WHERE game_date = DATE '2021-10-21' GROUP BY ALL"
    )
    last = {team: str(day)[:10] for team, day in zip(features["team_abbr"], features["last"])}
    assert last == {"MIL": "2021-10-19", "GSW": "2021-10-19"}
