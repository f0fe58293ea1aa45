-- One row per player, game date and market (points, rebounds, assists, threes, pra, steals,
-- blocks): the consensus line across books, number of books, average prices (macros/consensus.sql).
{%- set raw_markets = [] -%}
{%- for m in prop_markets() -%}{%- do raw_markets.append(m.raw_market) -%}{%- endfor %}
{{ consensus_lines(raw_markets) }}
