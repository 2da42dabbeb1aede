"""`/studyadmin bank import`: moderators add their workspace's own questions, YAML or CSV, all or nothing.

The questions come as a file (`file:`, which each adapter reads: a Discord attachment, a Slack form,
a console path) or typed in `text:`; either way the handler sees their text.
"""

from __future__ import annotations

import asyncio

from bot.catalog.questions import Place
from bot.commands.registry import Registry
from bot.commands.spec import Choice, CommandSpec, GroupSpec, Options, OptionSpec, OptionType, Permission
from bot.errors import InvalidOption
from bot.features import admin_group
from bot.features.admin_group import audit
from bot.markup import esc
from bot.practice.imports import parse_bank, store_bank
from bot.replies import Reply
from bot.requests import Request
from bot.services import Services
from bot.words import plural

MODES = (Choice("append", "append"), Choice("replace", "replace"))
MAX_TEXT = 6000  # Discord's longest string option

EXAMPLE = (
    "/studyadmin bank import mode:append text:{exam: SAA-C03, questions: [{id: team-saa-001, "
    "domain: Design Resilient Architectures, difficulty: easy, stem: 'Which service spreads incoming traffic "
    "across EC2 instances in several Availability Zones?', options: [{text: Elastic Load Balancing, correct: true, "
    "explanation: 'Right. A load balancer routes requests to healthy targets in every enabled zone.'}, "
    "{text: Amazon Route 53 alone, explanation: 'Wrong. DNS answers do not follow per-request target health.'}, "
    "{text: AWS Direct Connect, explanation: 'Wrong. It is a private network link into AWS.'}, "
    "{text: Amazon CloudFront signed URLs, explanation: 'Wrong. They control access to cached content.'}], "
    "links: ['https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/what-is-load-balancing.html'], "
    "written_for: SAA-C03, checked: 2026-11-23}]}"
)


async def import_command(req: Request, opts: Options, svc: Services) -> Reply:
    if opts.get("file") and opts.get("text"):
        raise InvalidOption("Give the questions once: in a file or in `text:`, not both.", None)
    text = str(opts.get("file") or opts.get("text") or "").strip()
    if not text:
        raise InvalidOption(
            "Give the questions to import in `text:`, as YAML (the shape of content/questions) or CSV, "
            "or as a file in `file:`.",
            "`/help studyadmin bank import` shows an example with one question.",
        )
    # A file may hold a megabyte of YAML, which PyYAML takes seconds to read: off the event loop,
    # so the gateways, acks and other members are not kept waiting meanwhile.
    bank = await asyncio.to_thread(parse_bank, text, svc.catalog, today=req.at.date())
    mode = opts.get("mode", "append")
    async with svc.engine.begin() as conn:
        result = await store_bank(
            conn, Place(req.identity.platform, req.identity.workspace), bank, mode, req.identity.user_name, req.at
        )
        summary = {"mode": result.mode, "added": result.added, "updated": result.updated,
                   "unchanged": result.unchanged, "removed": result.removed, "total": result.total}  # fmt: skip
        await audit(conn, req, "bank import", result.exam, None, summary)
        served = len(await svc.questions.pool(conn, Place(req.identity.platform, req.identity.workspace), result.exam))
    shipped = served - result.total
    return Reply(
        title="Question bank imported",
        text=esc(result.summary())
        + f"\nMembers here draw from them and {plural(shipped, 'shipped question')} ({served:,} in all) in "
        "`/practice`, `/review` and `/mock`.",
        ephemeral=True,
    )


def register(registry: Registry) -> None:
    admin_group.register(registry)
    registry.group(GroupSpec(("studyadmin", "bank"), "This workspace's own practice questions", Permission.MODERATOR))
    registry.command(
        CommandSpec(
            ("studyadmin", "bank", "import"),
            "Import practice questions (YAML or CSV), all or nothing",
            import_command,
            permission=Permission.MODERATOR,
            options=(
                OptionSpec(
                    "mode",
                    OptionType.STRING,
                    "append (default) adds and updates; replace swaps the exam's bank",
                    choices=MODES,
                ),
                OptionSpec(
                    "file",
                    OptionType.FILE,
                    "The bank as a file: YAML as in content/questions, or CSV (at most 1 MB)",
                ),
                OptionSpec(
                    "text",
                    OptionType.STRING,
                    "The bank: YAML as in content/questions, or CSV",
                    required=False,
                    rest=True,
                    max_length=MAX_TEXT,
                ),
            ),
            examples=(EXAMPLE,),
        )
    )
