{#- The query comment of every dbt query (dbt_project.yml `query-comment`): a JSON object that
    dbt-bigquery turns into the job's labels (`job-label: true`), the same labels the Python jobs
    carry (resources/warehouse/job_labels.py): the Dagster asset (`nba_labelled_asset`), the
    run's partition window and run id, set by the Dagster step while dbt runs
    (resources/dbt/runner.py). dbt-bigquery lowercases the values and cuts them to 63 characters. -#}
{% macro nba_query_comment(node) -%}
{%- set labels = {
    "app": "nba-props",
    "dagster_asset": nba_labelled_asset(node),
    "dagster_partition": env_var("NBA_JOB_LABEL_PARTITION", "none"),
    "dagster_run_id": env_var("NBA_JOB_LABEL_RUN_ID", "none"),
} -%}
{{- return(tojson(labels)) -}}
{%- endmacro %}

{#- The asset a query is for: a model or seed by its name (as the translator keys them), a data
    test by the model it tests (a test on no single model by its own name), a query outside any
    node (dbt's own metadata queries) by the Dagster step's op. -#}
{% macro nba_labelled_asset(node) -%}
{%- if node is none -%}
{{- return(env_var("NBA_JOB_LABEL_ASSET", "none")) -}}
{%- elif node.resource_type == "test" and node.attached_node -%}
{{- return(node.attached_node.split(".")[-1]) -}}
{%- else -%}
{{- return(node.name) -}}
{%- endif -%}
{%- endmacro %}
