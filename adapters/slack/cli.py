"""`studybot slack …`: commands for setting up the Slack app (loaded lazily by `bot.cli`)."""

from __future__ import annotations

import click

from adapters.slack.manifest import manifest_yaml
from bot.cli import load_settings
from bot.features import build_registry


@click.group()
def slack() -> None:
    """Slack: print the app manifest."""


@slack.command()
@click.option("--http", "http", is_flag=True, help="HTTP mode: Slack sends requests to --url instead of Socket Mode.")
@click.option("--url", default=None, help="Public base URL for --http, e.g. https://bot.example.com.")
def manifest(http: bool, url: str | None) -> None:
    """Print the app manifest (YAML) to paste into api.slack.com/apps → Create New App → From a manifest."""
    if http and not url:
        raise click.UsageError("--http needs --url, the public https address Slack will call")
    if url and not http:
        raise click.UsageError("--url only applies with --http")
    settings = load_settings()
    click.echo(manifest_yaml(build_registry(), settings, http=http, url=url), nl=False)
