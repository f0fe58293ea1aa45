"""The Kubernetes deployment (deploy/helm/values.yaml for Dagster's chart, deploy/k8s/) checked offline,
as far as it can be without a cluster or a `helm` binary (neither exists on these machines):

- the instance config (dagster.yaml) the chart renders from our values, reconstructed below from
  the chart's `templates/configmap-instance.yaml` and its `helpers/instance/*.tpl`, is loaded by
  Dagster's own instance-config validation, and every configurable class in it (K8sRunLauncher,
  GCSComputeLogManager, QueuedRunCoordinator, the Postgres storages, the scheduler) has its
  config validated against that class's `config_type()`;
- the sections that must match the Docker/VM layout (queue, concurrency, retries, run monitoring,
  retention) equal deploy/dagster.prod.yaml's;
- the run pod is built the way K8sRunLauncher builds it at launch (its container context merged
  with the code location's, as the chart's `includeConfigInLaunchedRuns` passes it), and its
  service account, resources, secrets and Postgres password are the ones docs/deploy.md promises;
- the manifests in deploy/k8s/ parse, the core kinds against the Kubernetes client's models, the
  External Secrets ones for their required fields, and they make every Secret the values name.

Not checked here: `helm template`/`helm install` (no helm binary, no cluster), so the chart's own
rendering, its values.schema.json and the External Secrets CRDs' schemas were not run; the
reconstruction follows the chart's templates as read, not the chart's code.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
VALUES = ROOT / "deploy" / "helm" / "values.yaml"
MANIFESTS = sorted((ROOT / "deploy" / "k8s").glob("*.yaml"))
RELEASE, NAMESPACE = "dagster", "dagster"
# What the chart sets in its pods (configmap-env-*.yaml, deployment-*.yaml): the instance's env.
CHART_ENV = {
    "DAGSTER_HOME": "/opt/dagster/dagster_home",
    "DAGSTER_PG_PASSWORD": "from-the-secret",
    "DAGSTER_K8S_INSTANCE_CONFIG_MAP": f"{RELEASE}-instance",
    "DAGSTER_K8S_PG_PASSWORD_SECRET": "dagster-postgresql-secret",
    "DAGSTER_K8S_PIPELINE_RUN_ENV_CONFIGMAP": f"{RELEASE}-pipeline-env",
}
RUN_K8S_CONFIG_KEYS = {
    "containerConfig": "container_config",
    "podTemplateSpecMetadata": "pod_template_spec_metadata",
    "podSpecConfig": "pod_spec_config",
    "jobConfig": "job_config",
    "jobMetadata": "job_metadata",
    "jobSpecConfig": "job_spec_config",
}


def values() -> dict:
    return yaml.safe_load(VALUES.read_text())


def _names(entries: list) -> list[str]:
    return [entry["name"] for entry in entries or [] if "name" in entry]


def _renamed(source: dict, names: tuple[tuple[str, str], ...]) -> dict:
    """The chart's `{{- if .camelCase }} snake_case: ...` lines: the values that are set, under
    their dagster.yaml names."""
    return {snake: source[camel] for camel, snake in names if source.get(camel) is not None}


def render_instance(v: dict) -> dict:
    """The dagster.yaml that the chart's configmap-instance.yaml renders from values `v` (the
    branches our values take: daemon scheduler, Postgres storages, K8sRunLauncher, queued
    coordinator, GCS compute logs, run monitoring and retries, retention, concurrency)."""
    pg = v["postgresql"]
    postgres = {
        "postgres_db": {
            "username": pg["postgresqlUsername"],
            "password": {"env": "DAGSTER_PG_PASSWORD"},
            "hostname": pg["postgresqlHost"],
            "db_name": pg["postgresqlDatabase"],
            "port": pg["service"]["port"],
            "params": pg.get("postgresqlParams") or {},
            **({"scheme": pg["postgresqlScheme"]} if pg.get("postgresqlScheme") else {}),
        }
    }
    launcher = v["runLauncher"]
    assert launcher["type"] == "K8sRunLauncher", "this reconstruction covers the K8sRunLauncher branch"
    k8s = launcher["config"]["k8sRunLauncher"]
    launcher_config = {
        "load_incluster_config": k8s["loadInclusterConfig"],
        "job_namespace": k8s.get("jobNamespace") or NAMESPACE,
        "image_pull_policy": k8s["imagePullPolicy"],
        "service_account_name": v["serviceAccount"]["name"],
        "dagster_home": {"env": "DAGSTER_HOME"},
        "instance_config_map": {"env": "DAGSTER_K8S_INSTANCE_CONFIG_MAP"},
        "postgres_password_secret": {"env": "DAGSTER_K8S_PG_PASSWORD_SECRET"},
        "env_config_maps": [{"env": "DAGSTER_K8S_PIPELINE_RUN_ENV_CONFIGMAP"}, *_names(k8s.get("envConfigMaps"))],
    }
    optional = {
        "env_secrets": _names(k8s.get("envSecrets")),
        "env_vars": k8s.get("envVars"),
        "volume_mounts": k8s.get("volumeMounts"),
        "volumes": k8s.get("volumes"),
        "labels": k8s.get("labels"),
        "resources": k8s.get("resources"),
        "fail_pod_on_run_failure": k8s.get("failPodOnRunFailure"),
        "run_k8s_config": {
            RUN_K8S_CONFIG_KEYS[key]: value for key, value in (k8s.get("runK8sConfig") or {}).items() if value
        },
    }
    launcher_config.update({key: value for key, value in optional.items() if value})

    daemon = v["dagsterDaemon"]
    instance = {
        "scheduler": {"module": "dagster._core.scheduler", "class": "DagsterDaemonScheduler"},
        "schedule_storage": {
            "module": "dagster_postgres.schedule_storage",
            "class": "PostgresScheduleStorage",
            "config": postgres,
        },
        "run_launcher": {"module": "dagster_k8s", "class": "K8sRunLauncher", "config": launcher_config},
        "run_storage": {"module": "dagster_postgres.run_storage", "class": "PostgresRunStorage", "config": postgres},
        "event_log_storage": {
            "module": "dagster_postgres.event_log",
            "class": "PostgresEventLogStorage",
            "config": postgres,
        },
    }
    coordinator = daemon["runCoordinator"]
    if daemon["enabled"] and coordinator["enabled"]:
        assert coordinator["type"] == "QueuedRunCoordinator"
        queued = {k: val for k, val in (coordinator["config"]["queuedRunCoordinator"] or {}).items() if val}
        snake = {"maxConcurrentRuns": "max_concurrent_runs", "tagConcurrencyLimits": "tag_concurrency_limits"}
        instance["run_coordinator"] = {
            "module": "dagster._core.run_coordinator",
            "class": "QueuedRunCoordinator",
            **({"config": {snake[k]: val for k, val in queued.items()}} if queued else {}),
        }
    logs = v["computeLogManager"]
    assert logs["type"] == "GCSComputeLogManager"
    gcs = logs["config"]["gcsComputeLogManager"]
    instance["compute_logs"] = {
        "module": "dagster_gcp.gcs.compute_log_manager",
        "class": "GCSComputeLogManager",
        "config": {
            "bucket": gcs.get("bucket"),
            **_renamed(
                gcs,
                (
                    ("localDir", "local_dir"),
                    ("prefix", "prefix"),
                    ("jsonCredentialsEnvvar", "json_credentials_envvar"),
                    ("uploadInterval", "upload_interval"),
                ),
            ),
        },
    }
    monitoring = daemon["runMonitoring"]
    if daemon["enabled"] and monitoring["enabled"]:
        instance["run_monitoring"] = {
            "enabled": True,
            "start_timeout_seconds": monitoring["startTimeoutSeconds"],
            **_renamed(
                monitoring,
                (
                    ("cancelTimeoutSeconds", "cancel_timeout_seconds"),
                    ("maxRuntimeSeconds", "max_runtime_seconds"),
                    ("maxResumeRunAttempts", "max_resume_run_attempts"),
                ),
            ),
            "poll_interval_seconds": monitoring["pollIntervalSeconds"],
            "free_slots_after_run_end_seconds": monitoring["freeSlotsAfterRunEndSeconds"],
        }
    retries = daemon["runRetries"]
    if daemon["enabled"] and retries["enabled"]:
        instance["run_retries"] = {
            "enabled": True,
            **({"max_retries": retries["maxRetries"]} if retries.get("maxRetries") else {}),
            **(
                {"retry_on_asset_or_op_failure": retries["retryOnAssetOrOpFailure"]}
                if "retryOnAssetOrOpFailure" in retries
                else {}
            ),
        }
    instance["telemetry"] = {"enabled": v["telemetry"]["enabled"]}
    retention = v.get("retention") or {}
    if retention.get("enabled"):
        instance["retention"] = {
            kind: {"purge_after_days": retention[kind]["purgeAfterDays"]}
            for kind in ("sensor", "schedule")
            if retention.get(kind)
        }
    concurrency = v.get("concurrency") or {}
    if concurrency.get("enabled"):
        pools, runs = concurrency.get("pools") or {}, concurrency.get("runs") or {}
        rendered: dict = {}
        if pools:
            rendered["pools"] = _renamed(
                pools,
                (
                    ("defaultLimit", "default_limit"),
                    ("granularity", "granularity"),
                    ("opGranularityRunBuffer", "op_granularity_run_buffer"),
                ),
            )
        if runs:
            rendered["runs"] = {
                **({"max_concurrent_runs": runs["maxConcurrentRuns"]} if "maxConcurrentRuns" in runs else {}),
                **(
                    {"tag_concurrency_limits": runs["tagConcurrencyLimits"]} if runs.get("tagConcurrencyLimits") else {}
                ),
            }
        instance["concurrency"] = rendered
    return instance


def load_instance_config(instance: dict, tmp_path: Path) -> dict:
    """Dagster's own loading of a dagster.yaml (what every pod does at start)."""
    from dagster._core.instance.config import dagster_instance_config

    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text(yaml.safe_dump(instance))
    config, _ = dagster_instance_config(str(home))
    return config


def class_config_errors(config_type, config: dict) -> list[str]:
    """The errors of `config` against a configurable class's config schema (its env vars resolved
    as the class would resolve them at start)."""
    from dagster._config import process_config

    result = process_config(config_type, config)
    return [] if result.success else [error.message for error in result.errors]


def configurable_classes(instance: dict):
    """(section, config schema, config) of every configurable class of the instance."""
    import dagster_gcp.gcs.compute_log_manager as gcs_logs
    import dagster_k8s
    from dagster._core.run_coordinator import QueuedRunCoordinator
    from dagster._core.scheduler import DagsterDaemonScheduler
    from dagster._core.storage.config import pg_config

    classes = {
        ("dagster_k8s", "K8sRunLauncher"): dagster_k8s.K8sRunLauncher,
        ("dagster_gcp.gcs.compute_log_manager", "GCSComputeLogManager"): gcs_logs.GCSComputeLogManager,
        ("dagster._core.run_coordinator", "QueuedRunCoordinator"): QueuedRunCoordinator,
        ("dagster._core.scheduler", "DagsterDaemonScheduler"): DagsterDaemonScheduler,
    }
    for section, entry in instance.items():
        if not isinstance(entry, dict) or "module" not in entry:
            continue
        key = (entry["module"], entry["class"])
        if entry["module"].startswith("dagster_postgres."):
            # dagster-postgres is in the image only (Dockerfile), not in the lock: its storages'
            # config_type() is dagster's pg_config(), validated here directly.
            yield section, pg_config(), entry.get("config", {})
        else:
            assert key in classes, f"{section}: {key} is not a class this test knows"
            yield section, classes[key].config_type(), entry.get("config", {})


@pytest.fixture
def chart_env(monkeypatch):
    for name, value in CHART_ENV.items():
        monkeypatch.setenv(name, value)


def test_the_values_name_the_chart_version_of_the_locked_dagster():
    lock = (ROOT / "requirements.lock").read_text()
    dagster = re.search(r"^dagster==(\S+)$", lock, re.MULTILINE).group(1)
    k8s = re.search(r"^dagster-k8s==0\.(\d+)\.(\d+)$", lock, re.MULTILINE)
    assert k8s, "dagster-k8s is not in requirements.lock (the k8s extra)"
    # dagster-k8s 0.N.P goes with dagster 1.(N-16).P
    assert f"1.{int(k8s.group(1)) - 16}.{k8s.group(2)}" == dagster
    assert f"chart version {dagster}" in VALUES.read_text()
    docs = (ROOT / "docs" / "deploy.md").read_text()
    assert f"--version {dagster}" in docs, "docs/deploy.md installs another chart version"


def test_the_rendered_instance_loads_and_every_class_config_validates(tmp_path, chart_env):
    instance = render_instance(values())
    config = load_instance_config(instance, tmp_path)
    assert config["run_launcher"]["class"] == "K8sRunLauncher"
    assert config["compute_logs"]["class"] == "GCSComputeLogManager"
    sections = []
    for section, config_type, class_config in configurable_classes(instance):
        assert class_config_errors(config_type, class_config) == [], section
        sections.append(section)
    assert set(sections) == {
        "scheduler",
        "schedule_storage",
        "run_storage",
        "event_log_storage",
        "run_launcher",
        "run_coordinator",
        "compute_logs",
    }


def test_the_queue_limits_retries_and_monitoring_are_the_production_layouts(tmp_path, chart_env, monkeypatch):
    from dagster._core.instance.config import dagster_instance_config

    k8s = load_instance_config(render_instance(values()), tmp_path)
    for name in ("DAGSTER_PG_USERNAME", "DAGSTER_PG_HOST", "DAGSTER_PG_DB", "DAGSTER_PG_PORT"):
        monkeypatch.setenv(name, "x")
    (tmp_path / "prod").mkdir()
    shutil.copy(ROOT / "deploy" / "dagster.prod.yaml", tmp_path / "prod" / "dagster.yaml")
    prod, _ = dagster_instance_config(str(tmp_path / "prod"))
    for section in ("concurrency", "run_retries", "retention", "telemetry"):
        assert k8s[section] == prod[section], section
    assert k8s["run_coordinator"]["class"] == prod["run_coordinator"]["class"] == "QueuedRunCoordinator"
    # Every run-monitoring setting of the production file, with the same value.
    assert {key: k8s["run_monitoring"][key] for key in prod["run_monitoring"]} == prod["run_monitoring"]
    assert k8s["run_storage"]["config"]["postgres_db"]["scheme"] == prod["storage"]["postgres"]["postgres_db"]["scheme"]


def test_the_local_and_docker_layouts_keep_their_run_launcher():
    # The launcher is chosen by configuration: only the chart's instance names K8sRunLauncher.
    for path in (ROOT / "dagster.yaml", ROOT / "deploy" / "dagster.prod.yaml"):
        assert "run_launcher" not in yaml.safe_load(path.read_text()), path


def code_location_context(v: dict) -> dict:
    """The container context the chart's user-deployments subchart puts on the code server
    (DAGSTER_CLI_API_GRPC_CONTAINER_CONTEXT) when includeConfigInLaunchedRuns is enabled: the
    deployment's env config map, secrets, pull policy, namespace, service account, resources,
    labels and volumes; K8sRunLauncher merges it over its own config for every run."""
    chart = v["dagster-user-deployments"]
    deployment = chart["deployments"][0]
    assert deployment["includeConfigInLaunchedRuns"]["enabled"]
    k8s = {
        "env_config_maps": [f"{RELEASE}-dagster-user-deployments-{deployment['name']}-user-env"],
        "env_secrets": _names(deployment.get("envSecrets")),
        "image_pull_policy": deployment["image"]["pullPolicy"],
        "namespace": NAMESPACE,
        "service_account_name": chart["serviceAccount"]["name"],
        "run_k8s_config": {"pod_spec_config": {"automount_service_account_token": True}},
    }
    for key in ("resources", "labels", "volumes", "volumeMounts"):
        if deployment.get(key):
            k8s[re.sub(r"([A-Z])", r"_\1", key).lower()] = deployment[key]
    return {"k8s": k8s}


def run_pod(v: dict, monkeypatch):
    """The Kubernetes Job K8sRunLauncher creates for a run of the code location: the launcher built
    from the rendered instance config (its cluster login skipped), the run's container context
    merged as at launch (`K8sContainerContext.create_for_run`), the Job built by the launcher's own
    `construct_dagster_k8s_job`."""
    import dagster_k8s.launcher as launcher_module
    from dagster._config import process_config
    from dagster._core.code_pointer import ModuleCodePointer
    from dagster._core.origin import JobPythonOrigin, RepositoryPythonOrigin
    from dagster._core.storage.dagster_run import DagsterRun
    from dagster_k8s.container_context import K8sContainerContext
    from dagster_k8s.job import construct_dagster_k8s_job

    monkeypatch.setattr(launcher_module, "load_kubernetes_config", lambda **_: None)  # no cluster here
    config = render_instance(v)["run_launcher"]["config"]
    processed = process_config(launcher_module.K8sRunLauncher.config_type(), config)
    assert processed.success, [e.message for e in processed.errors]
    launcher = launcher_module.K8sRunLauncher.from_config_value(None, processed.value)
    deployment = v["dagster-user-deployments"]["deployments"][0]
    image = f"{deployment['image']['repository']}:{deployment['image']['tag']}"
    origin = JobPythonOrigin(
        job_name="daily_pipeline",
        repository_origin=RepositoryPythonOrigin(
            executable_path="/usr/local/bin/python",
            code_pointer=ModuleCodePointer("nba_assets.definitions", "defs", "/opt/dagster/app"),
            container_image=image,
            container_context=code_location_context(v),
        ),
    )
    run = DagsterRun(job_name="daily_pipeline", run_id="0f1e2d3c-aaaa-bbbb-cccc-000000000000", job_code_origin=origin)
    context = K8sContainerContext.create_for_run(run, launcher, include_run_tags=True)
    return construct_dagster_k8s_job(
        job_config=context.get_k8s_job_config(job_image=image, run_launcher=launcher),
        args=["dagster", "api", "execute_run", "{}"],
        job_name="dagster-run-0f1e2d3c",
        pod_name="dagster-run-0f1e2d3c",
        component="run_worker",
        user_defined_k8s_config=context.run_k8s_config,
        labels={"dagster/job": "daily_pipeline"},
    ), context


def test_a_run_pod_gets_the_runner_account_its_size_and_its_secrets(chart_env, monkeypatch):
    v = values()
    job, context = run_pod(v, monkeypatch)
    assert context.namespace == NAMESPACE
    pod = job.spec.template.spec
    container = pod.containers[0]
    deployment = v["dagster-user-deployments"]["deployments"][0]
    # The code location's image and account (BigQuery and GCS through Workload Identity).
    assert container.image.startswith(deployment["image"]["repository"] + ":")
    assert pod.service_account_name == "nba-props-code"
    # The run's size from the run launcher (the deployment sets none of its own: it would win).
    resources = container.resources if isinstance(container.resources, dict) else container.resources.to_dict()
    assert resources["requests"] == {"cpu": "1", "memory": "4Gi"}, resources
    assert resources["limits"] == {"memory": "4Gi"}
    secrets = {source.secret_ref.name for source in container.env_from if source.secret_ref}
    config_maps = {source.config_map_ref.name for source in container.env_from if source.config_map_ref}
    assert secrets == {"nba-props-secrets"}
    assert f"{RELEASE}-dagster-user-deployments-nba-assets-user-env" in config_maps
    password = next(env for env in container.env if env.name == "DAGSTER_PG_PASSWORD")
    assert (password.value_from.secret_key_ref.name, password.value_from.secret_key_ref.key) == (
        "dagster-postgresql-secret",
        "postgresql-password",
    )
    # The Job never retries the pod: Dagster's run retries make a new run.
    assert job.spec.backoff_limit == 0
    assert job.metadata.labels["app.kubernetes.io/part-of"] == "nba-props"


def _mutated(change) -> dict:
    v = copy.deepcopy(values())
    change(v)
    return v


BROKEN = {
    "compute logs without a bucket": lambda v: v["computeLogManager"]["config"]["gcsComputeLogManager"].pop("bucket"),
    "compute logs upload interval not a number": lambda v: v["computeLogManager"]["config"][
        "gcsComputeLogManager"
    ].update(uploadInterval="soon"),
    "in-cluster login not a boolean": lambda v: v["runLauncher"]["config"]["k8sRunLauncher"].update(
        loadInclusterConfig="yes"
    ),
    "run monitoring timeout not a number": lambda v: v["dagsterDaemon"]["runMonitoring"].update(
        startTimeoutSeconds="ten minutes"
    ),
    "Postgres port not a number": lambda v: v["postgresql"]["service"].update(port="fivefourthreetwo"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_values_fail_dagsters_validation(case, tmp_path, chart_env):
    from dagster._core.errors import DagsterInvalidConfigError

    instance = render_instance(_mutated(BROKEN[case]))
    try:
        load_instance_config(instance, tmp_path)
    except DagsterInvalidConfigError:
        return
    errors = [
        (section, class_config_errors(config_type, class_config))
        for section, config_type, class_config in configurable_classes(instance)
    ]
    assert any(found for _, found in errors), f"{case}: accepted"


def test_a_misspelled_run_pod_setting_fails_at_the_launcher(chart_env, monkeypatch):
    # run_k8s_config is free-form in the launcher's schema; the Kubernetes model catches the typo.
    broken = _mutated(
        lambda v: v["runLauncher"]["config"]["k8sRunLauncher"]["runK8sConfig"]["containerConfig"].update(
            resource={"requests": {"cpu": "1"}}
        )
    )
    with pytest.raises(Exception, match="Unexpected keys in model class V1Container"):
        run_pod(broken, monkeypatch)


def manifests() -> list[dict]:
    return [doc for path in MANIFESTS for doc in yaml.safe_load_all(path.read_text()) if doc]


def test_the_core_manifests_are_valid_kubernetes_objects():
    import kubernetes.client
    from dagster_k8s.models import k8s_model_from_dict, k8s_snake_case_dict

    core = [doc for doc in manifests() if doc["apiVersion"] == "v1"]
    assert {doc["kind"] for doc in core} == {"Namespace", "ServiceAccount"}
    for doc in core:
        model = getattr(kubernetes.client, f"V1{doc['kind']}")
        # Unknown or misplaced fields raise (the models' own field lists).
        k8s_model_from_dict(model, k8s_snake_case_dict(model, doc))
        assert doc["metadata"]["name"]
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == NAMESPACE


def test_external_secrets_make_every_secret_the_values_name():
    docs = manifests()
    stores = {d["metadata"]["name"]: d for d in docs if d["kind"] == "SecretStore"}
    accounts = {d["metadata"]["name"] for d in docs if d["kind"] == "ServiceAccount"}
    made: dict[str, set[str]] = {}
    for doc in docs:
        if doc["kind"] not in ("SecretStore", "ExternalSecret"):
            continue
        assert doc["apiVersion"] == "external-secrets.io/v1", doc["metadata"]["name"]
        assert doc["metadata"]["namespace"] == NAMESPACE
        if doc["kind"] == "SecretStore":
            gcpsm = doc["spec"]["provider"]["gcpsm"]
            assert gcpsm["projectID"]
            assert gcpsm["auth"]["workloadIdentity"]["serviceAccountRef"]["name"] in accounts
            continue
        spec = doc["spec"]
        assert spec["secretStoreRef"]["name"] in stores
        assert spec["refreshInterval"]
        keys = set()
        for item in spec["data"]:
            assert item["remoteRef"]["key"], item
            keys.add(item["secretKey"])
        made[spec["target"]["name"]] = keys

    v = values()
    assert "postgresql-password" in made[v["global"]["postgresqlSecretName"]]
    for deployment in v["dagster-user-deployments"]["deployments"]:
        for name in _names(deployment.get("envSecrets")):
            assert name in made, f"{name} is named by the values but made by no ExternalSecret"
    # The code location's secrets (docs/runbook.md's table) are all synced.
    assert made["nba-props-secrets"] == {"BALLDONTLIE_API_KEY", "ODDS_API_KEY", "SLACK_BOT_TOKEN"}


def test_the_values_hold_no_secret():
    def walk(node, path=""):
        if isinstance(node, dict):
            for key, value in node.items():
                yield from walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from walk(value, f"{path}[{index}]")
        else:
            yield path, node

    secretish = re.compile(r"(password|token|secret|api_?key)$", re.IGNORECASE)
    for path, value in walk(values()):
        leaf = path.rsplit(".", 1)[-1]
        if secretish.search(leaf) and not leaf.endswith("SecretName"):
            assert value in ("", None, False), f"{path} holds a value: secrets come from Secret Manager"
    env = values()["dagster-user-deployments"]["deployments"][0]["env"]
    assert not set(env) & {"BALLDONTLIE_API_KEY", "ODDS_API_KEY", "SLACK_BOT_TOKEN", "DAGSTER_PG_PASSWORD"}


def test_the_chart_values_schema_when_a_copy_is_given(monkeypatch):
    """With the chart's values.schema.json at hand (`helm pull dagster/dagster --version 1.13.27
    --untar`, then DAGSTER_CHART_SCHEMA=dagster/values.schema.json), the values validate against it.
    Not run in CI: no helm binary and no network here."""
    import os

    schema_path = os.environ.get("DAGSTER_CHART_SCHEMA")
    if not schema_path:
        pytest.skip("DAGSTER_CHART_SCHEMA not set (the chart's values.schema.json is not shipped here)")
    import jsonschema
    from referencing import Registry, Resource

    schema = json.loads(Path(schema_path).read_text())
    # Kubernetes definitions are remote references: accepted as they are, offline.
    registry = Registry(retrieve=lambda uri: Resource.opaque({}))
    jsonschema.Draft7Validator(schema, registry=registry).validate(values())
