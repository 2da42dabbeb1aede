"""The `studybot` command. The only place that turns errors into exit codes.

Platform adapters are imported inside the commands that need them, so that importing the core never
imports discord.py or Bolt.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import getpass
import json
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from bot import log as logs
from bot.catalog import load_catalog
from bot.catalog.quality import bank_gates
from bot.errors import ConfigurationError, ContentError
from bot.requests import Identity
from bot.settings import Settings
from bot.words import plural

T = TypeVar("T")


def load_settings(*, new_folder_ok: bool = False) -> Settings:
    """Settings for a CLI command; bad ones end the command with every problem listed (exit 2).

    With `studybot -v …` it also says which database the command uses, so a command run from an
    unexpected place or with a forgotten variable shows it at once.
    """
    try:
        settings = Settings.from_env()
        problem = settings.database_problem(folder=not new_folder_ok)
        if problem is not None:
            raise ConfigurationError([problem])
    except ConfigurationError as exc:
        _print_problems(exc)
        raise SystemExit(2) from None
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.find_root().meta.get(VERBOSE):
        click.echo(database_line(settings), err=True)
    return settings


VERBOSE = "studybot.verbose"


def database_line(settings: Settings) -> str:
    """Which database the settings point at and why (default location or STUDYBOT_DATABASE_URL)."""
    from bot.store.db import describe

    source = (
        "the default; set STUDYBOT_DATABASE_URL to use another"
        if settings.database_from_default
        else ("from STUDYBOT_DATABASE_URL")
    )
    return f"database: {describe(settings.database_url)} ({source})"


def _print_problems(exc: ConfigurationError) -> None:
    click.echo("studybot cannot start; fix these settings (see .env.example):", err=True)
    for problem in exc.problems:
        click.echo(f"  - {problem}", err=True)


def _run(coro_factory: Callable[[], Awaitable[T]]) -> T:
    """Run a command's coroutine; problems an operator can fix end it with one line and exit code 2."""
    from bot.ops.startup import startup_problem

    try:
        return asyncio.run(coro_factory())  # type: ignore[arg-type]
    except ContentError as exc:
        click.echo("The content does not validate:", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        raise SystemExit(2) from None
    except ConfigurationError as exc:
        _print_problems(exc)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except Exception as exc:
        explained = startup_problem(exc)
        if explained is None:
            raise
        click.echo(f"studybot: {explained}", err=True)
        raise SystemExit(2) from None


def _console_identity(user: str | None, channel: str, workspace: str, member: bool) -> Identity:
    name = user or _login_name()
    return Identity("console", workspace, channel, name, name, is_moderator=not member)


def _login_name() -> str:
    try:
        return getpass.getuser() or "you"
    except Exception:  # getuser raises a bare OSError/KeyError when no login name can be found
        return "you"


def identity_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--user", default=None, help="Your name in the console (default: your login).")(func)
    func = click.option("--channel", default="console", show_default=True, help="The channel you talk in.")(func)
    func = click.option("--workspace", default="local", show_default=True, help="The workspace you are in.")(func)
    func = click.option("--member", is_flag=True, help="Act as a plain member, not a moderator.")(func)
    return func


def files_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--files",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Folder for files replies carry (an export, a stats picture); default: exports/ in the data directory.",
    )(func)


EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


def parse_now(text: str | None) -> dt.datetime | None:
    """An ISO time; without an offset it is taken as UTC.

    Future times are allowed (simulating weeks of a study group in the console); a run ahead of the
    clock does not hide the real runs afterwards, because catching up starts from the last run before
    the time of each pass. Times outside 2000-2099 are refused: near the calendar's ends the cron
    arithmetic overflows, and such a date is a typo."""
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO time like 2026-11-23T09:00+01:00") from None
    value = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    if not EARLIEST <= value < LATEST:
        raise click.BadParameter(f"{text!r} is outside the years 2000 to 2099; check the date.")
    return value


@click.group(invoke_without_command=True)
@click.version_option(package_name="studybot")
@click.option("-v", "--verbose", is_flag=True, help="Say which database the command uses.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """studybot: study for AWS certifications together, on Discord, Slack or in this terminal.

    With no command it runs `studybot run`.
    """
    ctx.meta[VERBOSE] = verbose
    if ctx.invoked_subcommand is None:
        ctx.invoke(run)


@main.command()
@click.option("--slack-http", is_flag=True, help="Serve Slack over HTTP instead of Socket Mode.")
@click.option("--port", default=3000, show_default=True, help="Port for --slack-http.")
@identity_options
@files_option
def run(
    slack_http: bool, port: int, user: str | None, channel: str, workspace: str, member: bool, files: Path | None
) -> None:
    """Start every platform whose tokens are set; the console shell when none is."""
    settings = load_settings()
    if not (settings.discord_enabled or settings.slack_enabled):
        logs.configure(settings.log_level or "WARNING", settings.log_format)
        _shell(settings, _console_identity(user, channel, workspace, member), files)
        return
    logs.configure(settings.log_level or "INFO", settings.log_format)
    from adapters.serve import serve  # imported here: the core never imports platform libraries

    _run(lambda: serve(settings, slack_http=slack_http, port=port))


@main.command()
@identity_options
@files_option
def shell(user: str | None, channel: str, workspace: str, member: bool, files: Path | None) -> None:
    """Talk to the bot in this terminal (reads a transcript when input is not a terminal)."""
    settings = load_settings()
    logs.configure(settings.log_level or "WARNING", settings.log_format)
    _shell(settings, _console_identity(user, channel, workspace, member), files)


def _shell(settings: Settings, identity: Identity, files: Path | None = None) -> None:
    from adapters.console import ConsoleSession, run_shell
    from bot.runtime import Runtime
    from bot.store.db import describe

    async def go() -> int:
        async with Runtime(settings) as rt:
            session = ConsoleSession(rt.core, identity, files=files)
            return await run_shell(session, database=describe(settings.database_url))

    raise SystemExit(_run(go))


@main.command("exec")
@identity_options
@files_option
@click.argument("line")
def exec_(line: str, user: str | None, channel: str, workspace: str, member: bool, files: Path | None) -> None:
    """Run one command, like `studybot exec "/help"`, and print its reply (exit 1 when it was refused)."""
    from adapters.console import ConsoleSession
    from bot.runtime import Runtime

    settings = load_settings()
    logs.configure(settings.log_level or "WARNING", settings.log_format)
    identity = _console_identity(user, channel, workspace, member)

    async def go() -> tuple[str | None, bool]:
        async with Runtime(settings) as rt:
            session = ConsoleSession(rt.core, identity, files=files)
            return await session.run_line(line), session.failed

    output, failed = _run(go)
    click.echo(output or "")
    if failed:
        raise SystemExit(1)  # a refused or failed command, so scripts and cron can tell


@main.command()
def doctor() -> None:
    """Check settings, the database, the clock, each platform's token and scopes, and every schedule's
    channel; print each problem with its fix (exit 1 when there is any)."""
    from bot.ops.doctor import Finding, diagnose, report

    try:
        settings = Settings.from_env()
    except ConfigurationError as exc:
        text, code = report([Finding("settings", problem, "see .env.example") for problem in exc.problems])
        click.echo(text)
        raise SystemExit(code) from None
    ctx = click.get_current_context()
    if ctx.find_root().meta.get(VERBOSE):
        click.echo(database_line(settings), err=True)
    from adapters.serve import platform_probes  # the platform checks live with the adapters

    text, code = report(_run(lambda: diagnose(settings, platform_probes(settings))))
    click.echo(text)
    raise SystemExit(code)


@main.command("export")
@click.option("--workspace", required=True, help="The Discord guild id, Slack team id or console workspace.")
@click.option(
    "--platform",
    type=click.Choice(["console", "discord", "slack"]),
    default=None,
    help="Needed only when the workspace id is stored for more than one platform.",
)
@click.option("--with-history", is_flag=True, help="Also members, their answers, reviews, mocks and certifications.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export_(workspace: str, platform: str | None, with_history: bool, file: Path) -> None:
    """Write one workspace to FILE (versioned JSON), to import it into another database."""
    from bot.clock import SystemClock
    from bot.ops.transfer import export_workspace, platforms_of
    from bot.store import create_engine, upgrade

    settings = load_settings()

    async def go() -> dict[str, Any] | list[str]:
        engine = create_engine(settings.database_url)
        try:
            await upgrade(engine)
            chosen = platform
            if chosen is None:
                found = await platforms_of(engine, workspace)
                if len(found) != 1:
                    return found
                chosen = found[0]
            return await export_workspace(engine, chosen, workspace, history=with_history, now=SystemClock().now())
        finally:
            await engine.dispose()

    document = _run(go)
    if isinstance(document, list):
        where = f"on {', '.join(document)}; pass --platform" if document else "in this database"
        click.echo(f"workspace {workspace} is stored {where}.", err=True)
        raise SystemExit(2)
    file.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    rows = sum(len(r) for r in document["tables"].values())
    click.echo(f"exported {document['platform']} workspace {workspace} to {file} ({plural(rows, 'row')})")


@main.command("import")
@click.argument("file", type=click.Path(path_type=Path))
def import_(file: Path) -> None:
    """Import a workspace exported with `studybot export`, all or nothing."""
    from bot.files import FileRefused, read_regular
    from bot.ops.transfer import IMPORT_LIMIT, TransferRefused, import_workspace
    from bot.store import create_engine, upgrade

    settings = load_settings()
    try:
        document = json.loads(read_regular(file, IMPORT_LIMIT).decode("utf-8"))
    except FileRefused as exc:
        click.echo(f"{exc.message}; nothing was imported.", err=True)
        raise SystemExit(2) from None
    except (ValueError, UnicodeDecodeError) as exc:
        click.echo(f"{file}: not a studybot export ({exc}); nothing was imported.", err=True)
        raise SystemExit(2) from None

    async def go() -> dict[str, int]:
        engine = create_engine(settings.database_url)
        try:
            await upgrade(engine)
            return await import_workspace(engine, document)
        finally:
            await engine.dispose()

    try:
        counts = _run(go)
    except TransferRefused as exc:
        click.echo(f"{file}: {exc.message}; nothing was imported.", err=True)
        raise SystemExit(2) from None
    click.echo(f"imported {plural(sum(counts.values()), 'row')} from {file}")


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply any pending schema migrations."""
    from bot.store import create_engine, revision, upgrade

    settings = load_settings()

    async def go() -> tuple[str | None, str | None]:
        engine = create_engine(settings.database_url)
        try:
            await upgrade(engine)
            return await revision(engine)
        finally:
            await engine.dispose()

    current, head = _run(go)
    click.echo(f"database at revision {current} (newest: {head})")


@db.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace TARGET if it already exists.")
def db_backup(target: Path, force: bool) -> None:
    """Copy the SQLite database consistently, even while the bot runs."""
    from bot.files import not_regular
    from bot.store import BackupSourceError, backup_sqlite, sqlite_path

    settings = load_settings()
    source = sqlite_path(settings.database_url)
    if source is None:
        click.echo("db backup copies SQLite databases; for PostgreSQL use pg_dump.", err=True)
        raise SystemExit(2)
    live = source.resolve()
    aimed = target.resolve()
    if aimed in {live, live.with_name(live.name + "-wal"), live.with_name(live.name + "-shm")}:
        click.echo(f"{target} is the live database (or its journal); back up to another file.", err=True)
        raise SystemExit(2)
    odd = not_regular(aimed)
    if odd is not None:
        click.echo(f"{odd}; back up to a regular file (nothing was changed).", err=True)
        raise SystemExit(2)
    if not aimed.parent.exists():
        click.echo(f"there is no folder {target.parent}: create the folder first, then back up.", err=True)
        raise SystemExit(2)
    if not aimed.parent.is_dir():
        click.echo(f"cannot write the backup to {target}: {target.parent} is not a folder.", err=True)
        raise SystemExit(2)
    if aimed.exists() and not force:
        click.echo(f"{target} already exists; pass --force to replace it.", err=True)
        raise SystemExit(2)
    try:
        pages = backup_sqlite(source, target)
    except BackupSourceError as exc:
        click.echo(exc.message, err=True)
        raise SystemExit(2) from None
    except (OSError, sqlite3.Error) as exc:  # a folder that is a file, no permission, a full disk
        click.echo(f"cannot write the backup to {target}: {exc}", err=True)
        raise SystemExit(2) from None
    click.echo(f"backed up {source} to {target} ({pages} pages)")


@db.command("restore")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
@click.option(
    "--now",
    "now_text",
    default=None,
    help="Record the restore as made at this ISO time (default: now), as deliver-due's.",
)
def db_restore(file: Path, yes: bool, now_text: str | None) -> None:
    """Replace the SQLite database with a backup FILE; the bot must be stopped.

    FILE is checked first (a studybot database, not newer than this studybot), and the current
    database is kept beside it before it is replaced.
    """
    from bot.clock import SystemClock
    from bot.ops.restore import RestoreRefused, check_restorable, restore
    from bot.store import sqlite_path

    settings = load_settings(new_folder_ok=True)  # a restore may make a new database anywhere
    live = sqlite_path(settings.database_url)
    if live is None:
        click.echo("db restore replaces SQLite databases; for PostgreSQL use pg_restore.", err=True)
        raise SystemExit(2)
    try:
        check_restorable(live, file)
        if not yes:
            click.confirm(f"Replace the database {live} with {file}? A copy of it is kept first", abort=True)
        done = restore(live, file, now=parse_now(now_text) or SystemClock().now())
    except RestoreRefused as exc:
        click.echo(f"db restore: {exc.message}", err=True)
        raise SystemExit(2) from None
    kept = f"; the database it replaced is kept at {done.kept}" if done.kept else ""
    click.echo(f"restored {file} into {live} ({done.pages} pages){kept}")
    click.echo(
        "anything recorded after that backup (answers, settings, posts) is not in it; prompts and digests "
        "due before now are not posted again (they may have gone out since the backup): each is listed as "
        "skipped by the next pass"
    )
    if not done.current:
        click.echo(
            f"it is at schema revision {done.revision}: the next start upgrades it (or run `studybot db upgrade`)"
        )


@main.group()
def content() -> None:
    """Check and report on the content in content/."""


@content.command("check")
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path), default=None)
def content_check(folder: Path | None) -> None:
    """Validate every content file; each problem is printed as file:line: message."""
    settings = load_settings()
    try:
        catalog = load_catalog(folder or settings.content_dir, extra_loaders=_extra_loaders())
    except ContentError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        click.echo(f"{plural(len(exc.problems), 'problem')} found.", err=True)
        raise SystemExit(1) from None
    gates = bank_gates(catalog)
    if gates:
        for problem in gates:
            click.echo(problem, err=True)
        click.echo(f"{plural(len(gates), 'problem')} found in the question banks.", err=True)
        raise SystemExit(1)
    questions = sum(len(b) for b in catalog.questions.values())
    click.echo(
        f"content OK: {len(catalog.exams)} exams ({len(catalog.current_exams)} current), "
        f"{len(catalog.faq)} FAQ entries, {questions} questions in {len(catalog.questions)} banks"
    )


@content.command("report")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def content_report(as_json: bool) -> None:
    """Per exam: question count, domain shares against the guide, answer positions, difficulty, types,
    and near-duplicate stems."""
    from bot.catalog.report import as_text, report

    settings = load_settings()
    try:
        catalog = load_catalog(settings.content_dir)
    except ContentError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        raise SystemExit(1) from None
    reports = report(catalog)
    if as_json:
        print_json({"exams": {code: r.as_json() for code, r in reports.items()}})
    else:
        click.echo(as_text(reports))


@content.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--workspace", required=True, help="The Discord guild id, Slack team id or console workspace.")
@click.option("--platform", type=click.Choice(["console", "discord", "slack"]), default="console", show_default=True)
@click.option("--replace", is_flag=True, help="Replace the workspace's questions for that exam instead of appending.")
def content_import(file: Path, workspace: str, platform: str, replace: bool) -> None:
    """Import a workspace's own question bank (YAML or CSV), all or nothing."""
    from bot.practice.imports import ImportRejected, import_text

    settings = load_settings()
    text = file.read_text(encoding="utf-8")
    try:
        result = _run(lambda: import_text(settings, text, platform, workspace, "replace" if replace else "append"))
    except ImportRejected as exc:
        click.echo(f"{file}: nothing was imported.", err=True)
        for problem in exc.problems:
            click.echo(f"  {file}:{problem}", err=True)
        raise SystemExit(1) from None
    click.echo(result.summary())


@content.group("errata")
def content_errata() -> None:
    """A workspace's fixes to shipped questions (its errata overlay)."""


@content_errata.command("export")
@click.option("--workspace", required=True, help="The Discord guild id, Slack team id or console workspace.")
@click.option("--platform", type=click.Choice(["console", "discord", "slack"]), default="console", show_default=True)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def content_errata_export(workspace: str, platform: str, file: Path) -> None:
    """Write the workspace's fixes to shipped questions to FILE as a YAML patch for upstream: for each
    question its bank file, every changed field (from, to), retirement, and the decisions behind it."""
    import yaml

    from bot.catalog.questions import QuestionIndex
    from bot.clock import SystemClock
    from bot.practice.errata import export_patch
    from bot.store import create_engine, upgrade

    settings = load_settings()
    catalog = load_catalog(settings.content_dir)

    async def go() -> dict[str, Any]:
        engine = create_engine(settings.database_url)
        try:
            await upgrade(engine)
            return await export_patch(engine, QuestionIndex(catalog), platform, workspace, SystemClock().now())
        finally:
            await engine.dispose()

    patch = _run(go)
    file.write_text(yaml.safe_dump(patch, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")
    count = len(patch["questions"])
    click.echo(f"wrote the errata of {platform} workspace {workspace} to {file} ({plural(count, 'question')})")


def _extra_loaders() -> tuple[Any, ...]:
    from bot.features import EXTRA_LOADERS

    return EXTRA_LOADERS


class LazyGroup(click.Group):
    """A command group defined in an adapter, imported only when it is used."""

    def __init__(self, name: str, target: str, help_text: str) -> None:
        super().__init__(name, help=help_text)
        self._target = target
        self._loaded: click.Group | None = None

    def _load(self) -> click.Group:
        if self._loaded is None:
            import importlib

            module, attr = self._target.split(":")
            self._loaded = getattr(importlib.import_module(module), attr)
        return self._loaded

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._load().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load().get_command(ctx, cmd_name)


main.add_command(LazyGroup("discord", "adapters.discord.cli:discord", "Discord: sync commands, invite link."))
main.add_command(LazyGroup("slack", "adapters.slack.cli:slack", "Slack: print the app manifest."))
main.add_command(LazyGroup("schedule", "adapters.console.schedule_cli:schedule", "Prompts: deliver-due, press."))


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
