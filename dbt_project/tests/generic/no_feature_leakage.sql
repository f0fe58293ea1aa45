{#- Fails on any feature row whose features used a game on or after its own date. -#}
{% test no_feature_leakage(model) %}
select game_date, player_lookup, last_feature_game_date
from {{ model }}
where last_feature_game_date >= game_date
{% endtest %}
