{#- A player's lookup resolved through the alias seed (seeds/player_aliases.csv), the one rule for
    box scores and prop lines alike: a name that differs between sources or seasons ("Jimmy
    Butler" in 2024-25, "Jimmy Butler III" in 2025-26) maps to one box-score player, so his history
    and his lines follow him. `relation`: the alias of a relation with a normalized
    `player_lookup` (nba_assets/lib/identity.py). -#}
{% macro resolved_player_lookup(relation) -%}
    coalesce(player_alias.player_lookup, {{ relation }}.player_lookup)
{%- endmacro %}

{#- The join resolved_player_lookup reads. -#}
{% macro player_alias_join(relation) -%}
    left join {{ ref('player_aliases') }} as player_alias
        on player_alias.alias_lookup = {{ relation }}.player_lookup
{%- endmacro %}
