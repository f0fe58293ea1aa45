"""Declarative automation: the sensor that evaluates the healing conditions (a date's results heal
themselves when late data arrives). The condition and the assets that carry it are in
nba_assets/lib/automation.py; each asset has it from its own definition (the results export's
decorator, the dbt translator)."""

from dagster import AssetSelection, AutomationConditionSensorDefinition, DefaultSensorStatus

from nba_assets.lib.automation import sensor_interval

# Evaluates the assets' conditions every minute (NBA_SENSOR_SECONDS: the simulated day's interval).
heal_late_data_sensor = AutomationConditionSensorDefinition(
    "heal_late_data",
    target=AssetSelection.all(),
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=sensor_interval(60),
    description="Evaluates the assets' automation conditions: a late box score re-grades its date.",
)
