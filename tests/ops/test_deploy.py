"""What can be tested of the deployment files without Docker or systemd on this machine: the compose
file parses and wires the right variables, and every command line the Dockerfile and the systemd unit
run is a real `studybot` command."""

from __future__ import annotations

import configparser
import json
import re
import shlex
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from bot.cli import main
from bot.settings import Settings

ROOT = Path(__file__).parent.parent.parent
SETTINGS_VARS = {f.alias for f in Settings.model_fields.values() if f.alias}


def assert_real_command(argv: list[str]) -> None:
    """`argv` is `studybot <command...>` and that command exists (its --help answers)."""
    assert Path(argv[0]).name == "studybot", argv
    result = CliRunner().invoke(main, [*argv[1:], "--help"])
    assert result.exit_code == 0, (argv, result.output)
    assert "Usage: main" in result.output and "No such command" not in result.output


def dockerfile() -> dict[str, list[str]]:
    """Instructions by keyword, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            found.setdefault(keyword.upper(), []).append(rest.strip())
    return found


def test_dockerfile_is_slim_non_root_carries_content_and_checks_healthz() -> None:
    d = dockerfile()
    assert re.fullmatch(r"python:3\.1[1-9]-slim", d["FROM"][0])
    assert any(c.startswith("content ") for c in d["COPY"])
    assert d["USER"] == ["studybot"]
    env = " ".join(d["ENV"])
    port = re.search(r"STUDYBOT_HEALTH_PORT=(\d+)", env)
    assert port is not None and "STUDYBOT_HEALTH_HOST=0.0.0.0" in env
    (healthcheck,) = d["HEALTHCHECK"]
    assert f"http://127.0.0.1:{port.group(1)}/healthz" in healthcheck
    assert_real_command(json.loads(d["CMD"][0]))


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_compose_has_postgresql_and_two_replicas_wired_by_settings_variables() -> None:
    services = compose()["services"]
    replicas = {name: s for name, s in services.items() if name.startswith("studybot")}
    assert len(replicas) == 2 and "postgres" in services
    pg_env = services["postgres"]["environment"]
    for service in replicas.values():
        env = service["environment"]
        assert set(env) <= SETTINGS_VARS, set(env) - SETTINGS_VARS  # every variable is one studybot reads
        url = env["STUDYBOT_DATABASE_URL"]
        assert url.startswith("postgresql+asyncpg://") and "@postgres:5432/" in url
        assert url.rsplit("/", 1)[1] == pg_env["POSTGRES_DB"] and f"//{pg_env['POSTGRES_USER']}:" in url
        assert env["STUDYBOT_HEALTH_HOST"] == "0.0.0.0" and env["STUDYBOT_HEALTH_PORT"] == "9187"
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert Settings.from_env({k: str(v) for k, v in env.items() if "${" not in str(v)}, env_file=None)
    shards = sorted(int(s["environment"]["DISCORD_SHARD_IDS"]) for s in replicas.values())
    counts = {s["environment"]["DISCORD_SHARD_COUNT"] for s in replicas.values()}
    assert shards == [0, 1] and counts == {"2"}


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment, method-assign]
    parser.read_string((ROOT / "deploy" / "studybot.service").read_text(encoding="utf-8"))
    return parser


def test_systemd_unit_runs_real_commands_as_a_non_root_user() -> None:
    service = unit()["Service"]
    assert service["User"] not in ("", "root")
    assert service["EnvironmentFile"].startswith("/etc/")
    assert_real_command(shlex.split(service["ExecStart"]))
    assert_real_command(shlex.split(service["ExecStartPre"]))
    assert service["RestartPreventExitStatus"] == "2"  # the CLI's exit code for a configuration problem
    assert "network-online.target" in unit()["Unit"]["After"]
