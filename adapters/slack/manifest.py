"""The Slack app manifest, generated from the command declarations and the settings.

Two slash commands carry the whole registry, so their descriptions and usage hints list what the
registry holds today; regenerate the manifest when commands change. The bot scopes are the fewest
that work, each with the call that needs it (`SCOPES`).
"""

from __future__ import annotations

from typing import Any

import yaml

from adapters.slack.translate import ADMIN_GROUP
from bot.commands.registry import Registry
from bot.commands.spec import Permission
from bot.settings import Settings

EVENTS_PATH = "/slack/events"  # where Slack sends events, commands and presses: the manifest's request URLs
APP_NAME = "studybot"
APP_DESCRIPTION = "Study together for AWS certifications: practice questions, study schedules and answers."
BACKGROUND = "#232f3e"

# Manifest limits (Slack's manifest schema): command 32, description 2,000, usage hint 1,000.
COMMAND_DESCRIPTION = 2000
USAGE_HINT = 1000
# What Slack shows in the command picker is one line; keep the generated text readable there.
SHOWN_DESCRIPTION = 140

SCOPES: dict[str, str] = {
    "commands": "receive the two slash commands",
    "chat:write": "post and edit scheduled messages (chat.postMessage, chat.update) where the bot is a member",
    "users:read": "users.info: a member's display name, and is_admin/is_owner for moderator rights",
    "im:write": "conversations.open, to send a member a direct message",
    "channels:read": "conversations.info: refuse a schedule for a public channel the bot is not in, or archived",
    "channels:history": "conversations.history: after a crash, find a scheduled post that went out, not post it again",
    "groups:history": "conversations.history in private channels the bot was invited to, for the same check",
    "files:read": "files.info and the file's download: a question bank picked in the /studyadmin bank import form",
    "files:write": "the external file upload: /profile export and the /stats picture, as files in a direct message",
    "usergroups:read": "usergroups.list: which user groups a member is in, for user groups made moderators",
}
NOT_NEEDED = (
    "chat:write.public (invite the bot to the channels it posts in instead)",
    "message events (commands arrive as slash commands, not messages)",
    "groups:read (private channels: the bot only sees those it was invited to, so the schedule check skips them)",
    "users:read.email (nothing needs it)",
)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def member_commands(registry: Registry) -> list[str]:
    """Top-level names a member reaches through `/study`, in declaration order."""
    names: dict[str, None] = {}
    for spec in registry:
        if spec.path[0] != ADMIN_GROUP and spec.permission is Permission.MEMBER:
            names[spec.path[0]] = None
    return list(names)


def admin_commands(registry: Registry) -> list[str]:
    """Subcommands under `/studyadmin`; empty until a feature declares the group."""
    return registry.children((ADMIN_GROUP,)) if registry.is_group((ADMIN_GROUP,)) else []


def slash_commands(registry: Registry, settings: Settings, url: str | None) -> list[dict[str, Any]]:
    members = member_commands(registry)
    admins = admin_commands(registry)
    member = {
        "command": settings.slack_command,
        "description": _short(f"studybot: {', '.join(members)}. Try {settings.slack_command} help", SHOWN_DESCRIPTION),
        "usage_hint": _short(f"<{' | '.join(members)}> [name:value …]", USAGE_HINT),
        "should_escape": True,  # @members and #channels arrive as <@U…> / <#C…> ids the core understands
    }
    admin_list = ", ".join(admins) if admins else "moderator tools"
    admin = {
        "command": settings.slack_admin_command,
        "description": _short(f"studybot for moderators: {admin_list}", SHOWN_DESCRIPTION),
        "usage_hint": _short(f"<{' | '.join(admins)}> …" if admins else "<subcommand> [name:value …]", USAGE_HINT),
        "should_escape": True,
    }
    commands = [member, admin]
    for command in commands:
        command["description"] = _short(str(command["description"]), COMMAND_DESCRIPTION)
        if url:
            command["url"] = url
    return commands


def request_url(base: str) -> str:
    """`https://bot.example.com` → `https://bot.example.com/slack/events` (kept as is if already there)."""
    base = base.rstrip("/")
    return base if base.endswith(EVENTS_PATH) else base + EVENTS_PATH


def build_manifest(
    registry: Registry, settings: Settings, *, http: bool = False, url: str | None = None
) -> dict[str, Any]:
    """The manifest as data: Socket Mode unless `http`, in which case every request URL is `url`."""
    if http and not url:
        raise ValueError("an HTTP-mode manifest needs the public URL Slack should send requests to")
    endpoint = request_url(url) if http and url else None
    interactivity: dict[str, Any] = {"is_enabled": True}
    if endpoint:
        interactivity["request_url"] = endpoint
    return {
        "display_information": {
            "name": APP_NAME,
            "description": APP_DESCRIPTION,
            "background_color": BACKGROUND,
        },
        "features": {
            "app_home": {
                "home_tab_enabled": False,
                "messages_tab_enabled": True,  # where studybot's direct messages appear
                "messages_tab_read_only_enabled": True,  # it reads no messages, so members cannot write there
            },
            "bot_user": {"display_name": APP_NAME, "always_online": True},
            "slash_commands": slash_commands(registry, settings, endpoint),
        },
        "oauth_config": {"scopes": {"bot": list(SCOPES)}},
        "settings": {
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": not http,
            "token_rotation_enabled": False,
        },
    }


def manifest_yaml(registry: Registry, settings: Settings, *, http: bool = False, url: str | None = None) -> str:
    """The manifest as YAML, with a comment saying why each scope is there and which are not."""
    lines = ["# studybot Slack app manifest, generated by `studybot slack manifest`.", "# Bot scopes:"]
    lines += [f"#   {scope}: {why}" for scope, why in SCOPES.items()]
    lines += ["# Not needed:"] + [f"#   {item}" for item in NOT_NEEDED]
    if not http:
        lines.append("# Socket Mode also needs an app-level token with connections:write (Basic Information page).")
    body = yaml.safe_dump(
        build_manifest(registry, settings, http=http, url=url), sort_keys=False, allow_unicode=True, width=1000
    )
    return "\n".join(lines) + "\n" + body
