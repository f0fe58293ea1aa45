-- One row per player and game date: the consensus points line across books (the rule is in
-- macros/consensus.sql; market_lines_consensus holds the same for every predicted market).
{{ consensus_lines(['player_points'], with_market=false) }}
