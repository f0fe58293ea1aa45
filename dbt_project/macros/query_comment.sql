{#- The query comment of every dbt query (dbt_project.yml `query-comment`): a JSON object that
    dbt-bigquery turns into the job's labels (`job-label: true`), the same labels the Python jobs
    carry (resources/warehouse/job_labels.py): the Dagster asset (the node's name, as the
    translator keys models and seeds; the step's op for queries outside a node), the run's
    partition window and run id, set by the Dagster step while dbt runs (resources/dbt/runner.py).
    dbt-bigquery lowercases the values and cuts them to 63 characters. -#}
{% macro nba_query_comment(node) -%}
{%- set labels = {
    "app": "nba-props",
    "dagster_asset": node.name if node is not none else env_var("NBA_JOB_LABEL_ASSET", "none"),
    "dagster_partition": env_var("NBA_JOB_LABEL_PARTITION", "none"),
    "dagster_run_id": env_var("NBA_JOB_LABEL_RUN_ID", "none"),
} -%}
{{- return(tojson(labels)) -}}
{%- endmacro %}
