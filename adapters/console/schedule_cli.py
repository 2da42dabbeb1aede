"""`studybot schedule …`: deliver what is due once (for an external cron and for the console), and press
the buttons of printed prompts.

Registered in `bot.cli` as a lazy group, so the core never imports this module.
"""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import click

from adapters.console.poster import ConsolePoster
from bot import log as logs
from bot.cli import parse_now
from bot.schedule.deliveries import Skip


@click.group()
def schedule() -> None:
    """Scheduled practice prompts and reveals."""


@schedule.command("deliver-due")
@click.option("--now", "now_text", default=None, help="Act as if it were this ISO time (default: now).")
@click.option("--json", "as_json", is_flag=True, help="End with one JSON line of counts.")
def deliver_due(now_text: str | None, as_json: bool) -> None:
    """Deliver whatever is due (prompts, reveals, reminders) once, print what was posted, and exit.

    Console schedules are printed here; with platform tokens set, Discord and Slack schedules are posted
    to their channels, as the running bot would. Exits 1 when a post failed, each listed with why."""
    from adapters.serve import rest_posters
    from bot.cli import _run, load_settings
    from bot.clock import FixedClock, SystemClock
    from bot.runtime import Runtime

    settings = load_settings()
    logs.configure(settings.log_level or "WARNING", settings.log_format)
    now = parse_now(now_text)
    clock = FixedClock(now) if now is not None else SystemClock()

    async def go() -> tuple[dict[str, int], str, list[str], list[str]]:
        async with rest_posters(settings) as posters, Runtime(settings, clock=clock, posters=posters) as rt:
            result = await rt.schedule.deliver_due()
            failed = [f"not posted: {kind} in #{channel}: {why}" for kind, channel, why in result.failures]
            return result.as_json(), result.summary(), [skip_line(s) for s in result.skips], failed

    counts, summary, skips, failed = _run(go)
    click.echo(f"delivered: {summary}")
    for line in [*skips, *failed]:
        click.echo(line)
    if failed:
        click.echo(
            "A post that failed for a passing reason is tried again by the next run after its lease (2 minutes)."
        )
    if as_json:
        click.echo(json.dumps(counts))
    if failed:
        raise SystemExit(1)  # for a cron job: something was not posted


def skip_line(skip: Skip) -> str:
    """One skipped prompt as the operator reads it: which schedule, which run, where and why."""
    local = skip.due.astimezone(ZoneInfo(skip.timezone)).strftime("%a %d %b %Y %H:%M %Z")
    return f"skipped: schedule #{skip.schedule_id} in #{skip.channel}, run of {local}: {skip.reason}"


@schedule.command("press")
@click.argument("message_id")
@click.argument("button", type=int)
@click.option("--user", required=True, help="Who presses.")
@click.option("--choose", default="", help="Options to pick first for a choose-N question, like 1,3.")
@click.option("--member", is_flag=True, help="Accepted for symmetry with `exec`; pressing needs no moderator.")
@click.option("--now", "now_text", default=None, help="Act as if it were this ISO time (default: now).")
def press(message_id: str, button: int, user: str, choose: str, member: bool, now_text: str | None) -> None:
    """Press button BUTTON of a prompt printed by deliver-due, as console member --user."""
    from adapters.console.posted import press_posted
    from adapters.console.render import render
    from bot.cli import _run, load_settings
    from bot.clock import FixedClock, SystemClock
    from bot.replies import is_failure
    from bot.runtime import Runtime

    settings = load_settings()
    logs.configure(settings.log_level or "WARNING", settings.log_format)
    now = parse_now(now_text)
    clock = FixedClock(now) if now is not None else SystemClock()
    picks = tuple(int(p) for p in choose.replace(" ", ",").split(",") if p.strip().isdigit())

    async def go() -> tuple[str, bool]:
        async with Runtime(settings, clock=clock, posters=[ConsolePoster()]) as rt:
            reply = await press_posted(rt.core, user, message_id, button, picks)
            return render(reply), is_failure(reply)

    text, failed = _run(go)
    click.echo(text)
    if failed:
        raise SystemExit(1)  # refused (answers closed, no such button): as `exec` does
