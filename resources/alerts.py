"""Where alerts go: Slack through dagster-slack when a bot token is configured, else the Dagster log.

The token comes only from the environment (`EnvVar("SLACK_BOT_TOKEN")`, see environments.py) and
is never part of a message or a log line. `base_url` exists so tests can point the real Slack client
(slack_sdk, via dagster-slack) at a local server that stands in for Slack's Web API.
"""

from __future__ import annotations

import logging

from dagster import ConfigurableResource
from pydantic import Field

SLACK_API = "https://slack.com/api/"


class AlertChannel(ConfigurableResource):
    token: str | None = Field(
        default=None, description="Slack bot token (from SLACK_BOT_TOKEN); unset: alerts go to the Dagster log."
    )
    channel: str = Field(default="#nba-props-alerts", description="Slack channel for alerts.")
    base_url: str = Field(default=SLACK_API, description="Slack Web API base URL.")

    @property
    def destination(self) -> str:
        return f"slack {self.channel}" if self.token else "dagster log"

    def send(self, text: str, log: logging.Logger | None = None) -> str:
        """Posts `text`; returns where it went. Slack errors raise (the sensor tick fails, visibly)."""
        if not self.token:
            (log or logging.getLogger("nba_assets.defs.operations.alerts")).warning(text)
            return self.destination
        from dagster_slack import SlackResource

        client = SlackResource(token=self.token).get_client()
        client.base_url = self.base_url
        client.chat_postMessage(channel=self.channel, text=text, mrkdwn=True)
        return self.destination
