-- One row per player, game date and market (points, rebounds, assists, threes, pra, steals,
-- blocks, double_double, triple_double): the consensus line across books, number of books, average
-- prices (macros/consensus.sql). The yes/no markets' line is 0.5 of their 0/1 stat (Yes = over).
{%- set raw_markets = raw_market_keys() %}
{{ consensus_lines(raw_markets) }}
