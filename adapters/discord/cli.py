"""`studybot discord …`: sync the slash commands on demand, print the invite link.

Loaded lazily by `bot/cli.py`, so the core CLI never imports discord.py. `sync --dry-run` needs no
token and no network: it prints what a sync would send, built from the same declarations.
"""

from __future__ import annotations

import asyncio
import json

import click

from bot.cli import load_settings
from bot.features import build_registry


@click.group("discord")
def discord() -> None:
    """Discord: sync the slash commands, print the invite link."""


@discord.command()
@click.option("--guild", "guilds", type=int, multiple=True, help="Sync to this server only (instant); repeatable.")
@click.option("--dry-run", is_flag=True, help="Print what would be sent; no token, no network.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: the exact payload with --dry-run.")
def sync(guilds: tuple[int, ...], dry_run: bool, as_json: bool) -> None:
    """Register the slash commands with Discord.

    Without --guild it uses DISCORD_GUILD_IDS when set (commands appear at once in those servers),
    and registers them globally otherwise (Discord may take a while to show changes).
    """
    from adapters.discord.commands import command_payload, sync_commands

    registry = build_registry()
    if dry_run:
        payload = command_payload(registry)
        if as_json:
            click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
            return
        scope = ", ".join(str(g) for g in guilds) if guilds else "the configured guilds, else globally"
        click.echo(f"Would register {len(payload)} command(s) ({scope}):")
        for command in payload:
            click.echo(f"  /{command['name']}: {command['description']}")
        return

    settings = load_settings()
    if settings.discord_token is None:
        click.echo("DISCORD_TOKEN is not set; put the bot token in .env (see docs/discord.md).", err=True)
        raise SystemExit(2)
    targets = guilds or settings.discord_guild_ids
    import discord as discord_py

    try:
        results = asyncio.run(
            sync_commands(
                settings.discord_token.get_secret_value(),
                registry,
                targets,
                application_id=settings.discord_application_id,
            )
        )
    except discord_py.LoginFailure:
        click.echo("Discord rejected DISCORD_TOKEN; copy it again from the Bot page of your application.", err=True)
        raise SystemExit(2) from None
    except discord_py.app_commands.CommandSyncFailure as exc:
        click.echo(f"Discord refused the commands: {exc}", err=True)
        raise SystemExit(1) from None
    except discord_py.Forbidden:
        click.echo(
            "Discord says the bot may not add commands there: invite it with the applications.commands scope "
            "(`studybot discord invite`).",
            err=True,
        )
        raise SystemExit(1) from None
    except discord_py.HTTPException as exc:
        click.echo(f"Syncing failed: {exc.status} {exc.text}", err=True)
        raise SystemExit(1) from None
    if as_json:
        data = [{"guild_id": r.guild_id, "commands": list(r.names)} for r in results]
        click.echo(json.dumps(data, indent=2))
        return
    for result in results:
        where = "globally" if result.guild_id is None else f"in guild {result.guild_id}"
        click.echo(f"Synced {len(result.names)} command(s) {where}: {', '.join('/' + n for n in result.names)}")


@discord.command()
@click.option("--client-id", type=int, default=None, help="The application id (default: DISCORD_APPLICATION_ID).")
def invite(client_id: int | None) -> None:
    """Print the link that adds the bot to a server, with only the permissions it needs."""
    from adapters.discord.invite import invite_url

    if client_id is None:
        client_id = load_settings().discord_application_id
    if client_id is None:
        click.echo(
            "Give --client-id or set DISCORD_APPLICATION_ID (the application id from the Developer Portal).", err=True
        )
        raise SystemExit(2)
    click.echo(invite_url(client_id))
