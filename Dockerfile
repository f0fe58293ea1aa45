# The code location image: `dagster api grpc` serving nba_assets.definitions on port 4000.
# The same image runs the webserver and the daemon (other commands, see docs/runbook.md), so all
# three share one dagster version and one instance config.
#
#   docker build -t nba-props-code .
#   docker build -t nba-props-code --build-arg NBA_GCP_PROJECT=my-project .
#
# Not built on the development machines (no Docker there); see docs/runbook.md.
FROM python:3.11-slim

ARG DAGSTER_POSTGRES_VERSION=0.29.27
# Only shape the dbt manifest's database names at build time; the run's environment decides at run time.
ARG NBA_GCP_PROJECT=nba-props
ARG NBA_DATASET_PREFIX=""

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DAGSTER_HOME=/opt/dagster/dagster_home \
    NBA_ENV=prod \
    NBA_DBT_TARGET=bigquery

RUN useradd --create-home --uid 10001 dagster
WORKDIR /opt/dagster/app

# Dependencies first (cached while only the code changes): the locked set, plus dagster-postgres for
# the production instance storage (kept out of requirements.lock: only this image needs it; its
# version must match dagster's, 1.13.N <-> 0.29.N).
COPY requirements.lock pyproject.toml ./
RUN pip install --no-cache-dir uv \
 && uv pip install --system --no-cache -r requirements.lock \
 && uv pip install --system --no-cache "dagster-postgres==${DAGSTER_POSTGRES_VERSION}"

COPY nba_assets ./nba_assets
COPY resources ./resources
COPY dbt_project ./dbt_project
# The replay archive: a replay in the production project (NBA_SOURCE=replay, NBA_DATASET_PREFIX=test_).
COPY data ./data
COPY deploy/workspace.prod.yaml ./deploy/workspace.prod.yaml
COPY deploy/dagster.prod.yaml ${DAGSTER_HOME}/dagster.yaml

# Editable like `make install`: dbt_project/ is found next to the packages.
RUN uv pip install --system --no-cache --no-deps -e . \
 && cd dbt_project \
 && NBA_GCP_PROJECT="${NBA_GCP_PROJECT}" NBA_DATASET_PREFIX="${NBA_DATASET_PREFIX}" \
    dbt parse --quiet --profiles-dir . --target bigquery \
 && test -f target/manifest.json \
 && chown -R dagster:dagster /opt/dagster

USER dagster
EXPOSE 4000
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s \
  CMD dagster api grpc-health-check -p 4000 || exit 1
CMD ["dagster", "api", "grpc", "--host", "0.0.0.0", "--port", "4000", \
     "--module-name", "nba_assets.definitions", "--location-name", "nba_assets", \
     "--working-directory", "/opt/dagster/app"]
