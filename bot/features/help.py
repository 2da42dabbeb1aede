"""`/help`, generated from the declarations so it can never drift from what the bot accepts."""

from __future__ import annotations

from functools import partial

from bot.commands.parse import usage_line
from bot.commands.registry import Registry
from bot.commands.spec import CommandSpec, Options, OptionSpec, OptionType, Permission
from bot.errors import UnknownCommand
from bot.markup import bullets, code, esc
from bot.replies import Field, Reply
from bot.requests import Request
from bot.services import Services


async def help_command(registry: Registry, req: Request, opts: Options, svc: Services) -> Reply:
    visible = registry.visible(req.moderator)
    wanted = str(opts.get("command", "")).strip().lstrip("/").casefold()
    if wanted:
        matches = [s for s in visible if s.name == wanted or s.name.startswith(wanted + " ")]
        if not matches:
            raise UnknownCommand(f"There is no command {code('/' + wanted[:40])} that you can use.", "Type `/help`.")
        return Reply(title=f"/{wanted}", fields=tuple(_detail(s) for s in matches[:25]), ephemeral=True)
    lines = [f"{code('/' + s.name)}: {esc(s.description)}" for s in visible if s.permission is Permission.MEMBER]
    fields = [Field("Commands", bullets(lines))]
    admin = [f"{code('/' + s.name)}: {esc(s.description)}" for s in visible if s.permission is Permission.MODERATOR]
    if admin:
        fields.append(Field("Moderator commands", bullets(admin)))
    return Reply(
        title="studybot commands",
        text="Options are written `name:value`; put spaces inside double quotes. "
        "`/help <command>` shows one command in detail.",
        fields=tuple(fields),
        ephemeral=True,
    )


def _detail(spec: CommandSpec) -> Field:
    lines = [esc(spec.description), usage_line(spec)]
    lines.extend(_option_line(o) for o in spec.options)
    if spec.examples:
        lines.append("Examples: " + ", ".join(code(e) for e in spec.examples))
    return Field("/" + spec.name, "\n".join(lines))


def _option_line(option: OptionSpec) -> str:
    kind = option.type.value + (", required" if option.required else "")
    text = f"- {code(option.name)} ({kind}): {esc(option.description)}"
    described = option.description.casefold()
    if option.choices and not all(c.value.casefold() in described for c in option.choices):
        # Only when the description does not already name them all ("easy, medium or hard").
        text = text.rstrip(".") + ". One of " + ", ".join(code(c.value) for c in option.choices) + "."
    return text


def register(registry: Registry) -> None:
    registry.command(
        CommandSpec(
            ("help",),
            "List the commands, or explain one",
            partial(help_command, registry),
            examples=("/help", "/help profile"),
            options=(OptionSpec("command", OptionType.STRING, "A command to explain, like profile", rest=True),),
        )
    )
