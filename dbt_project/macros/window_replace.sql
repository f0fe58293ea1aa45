{#- Incremental strategy `window_replace`: delete the run's window, insert the new rows, in the
    transaction dbt opens around the incremental step. Re-running a window replaces it exactly:
    rows that disappeared from the source disappear here too (delete+insert by key would keep
    them). BigQuery uses insert_overwrite with static partitions, one per date of the window
    (same semantics; configured per target in dbt_project.yml). -#}
{% macro get_incremental_window_replace_sql(arg_dict) %}
    {%- set target = arg_dict["target_relation"] -%}
    {%- set source = arg_dict["temp_relation"] -%}
    {%- set dest_columns = arg_dict["dest_columns"] -%}
    {%- set columns_csv = get_quoted_csv(dest_columns | map(attribute="name")) -%}
    delete from {{ target }} where {{ in_window("game_date") }};
    insert into {{ target }} ({{ columns_csv }})
    select {{ columns_csv }} from {{ source }}
{% endmacro %}
