"""`/mycerts add|remove|list`: the certifications a member holds, their expiry and how to renew them.

What is stored here is what `/path` marks done and what the expiry reminders are about. Every refusal
(an unknown exam, a date in the future or outside the exam's life, a duplicate) is a `UserError`
raised before or inside the one transaction, so nothing is changed.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from bot.catalog.exams import find_exam
from bot.catalog.models import Exam
from bot.commands.registry import Registry
from bot.commands.spec import CommandSpec, DeliveryJob, GroupSpec, Options, OptionSpec, OptionType, ProfileSection
from bot.errors import Conflict, InvalidOption
from bot.features.choices import EXAM_CODES
from bot.markup import bold, bullets, code, esc
from bot.paths.expiry import Expiry, Held, add_years, expiries
from bot.paths.reminders import deliver_reminders
from bot.replies import Field, Reply
from bot.requests import Identity, Request
from bot.services import Services
from bot.store import certifications as cert_store
from bot.store import members as member_store
from bot.store.db import reading
from bot.store.members import Member
from bot.words import plural

GROUP = ("mycerts",)
# AWS Certification began on 30 April 2013; no pass can be older.
PROGRAM_START = dt.date(2013, 4, 30)
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def member_today(svc: Services, member: Member | None, now: dt.datetime) -> dt.date:
    """Today where the member lives, so a pass entered in Tokyo on the day is not "in the future"."""
    name = (member.timezone if member else None) or svc.settings.default_timezone
    try:
        zone = zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return now.astimezone(zone).date()


def resolve_any_exam(svc: Services, text: str) -> Exam:
    """An exam by code or name, retired ones included: people still hold SOA-C02 or SCS-C02."""
    return find_exam(svc.ask.resolver, text, retired=True)


def parse_day(text: str) -> dt.date:
    if not _ISO_DAY.match(text.strip()):
        raise InvalidOption(
            f"{code(text[:20])} is not a date.", "Write it as `passed:YYYY-MM-DD`, like `passed:2025-06-01`."
        )
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidOption(f"{code(text[:20])} is not a real day.", "Check the month and day.") from None


def check_pass_date(exam: Exam, passed: dt.date, today: dt.date) -> None:
    """Refuse a day on which this exam could not have been passed."""
    if passed > today:
        raise InvalidOption(
            f"{passed:%-d %B %Y} is in the future.",
            "Add a certification once you have passed; the date is the day you passed.",
        )
    if passed < PROGRAM_START:
        raise InvalidOption(f"{passed:%-d %B %Y} is before AWS Certification began (30 April 2013).", None)
    if exam.available_from is not None and passed < exam.available_from:
        raise InvalidOption(
            f"{code(exam.code)} was first available in {exam.available_from:%B %Y}, after {passed:%-d %B %Y}.",
            "Check the date, or the exam version you passed.",
        )
    if exam.retired_on is not None:
        # Some retirement days are only known to the month; allow that month in full.
        last = exam.retired_on + dt.timedelta(days=31) if "retired_on" in exam.uncertain else exam.retired_on
        if passed > last:
            successor = f" Its successor is {code(exam.replaced_by)}." if exam.replaced_by else ""
            raise InvalidOption(
                f"{code(exam.code)} retired on {exam.retired_on:%-d %B %Y}, before {passed:%-d %B %Y}.{successor}",
                "Check which version you passed.",
            )


def held_of(rows: list[cert_store.HeldRow]) -> list[Held]:
    """Stored rows as the expiry rules read them."""
    return [Held(r.exam, r.passed_on, r.expires_on) for r in rows]


def status_line(expiry: Expiry, today: dt.date) -> str:
    days = expiry.days_left(today)
    if days < 0:
        return f"{bold('expired')} on {expiry.expires_on:%-d %B %Y}"
    left = "expires today" if days == 0 else f"{plural(days, 'day')} left"
    return f"expires {bold(f'{expiry.expires_on:%-d %B %Y}')} ({left})"


def cert_field(svc: Services, row: cert_store.HeldRow, expiry: Expiry, today: dt.date) -> Field:
    exam = svc.catalog.exam(row.exam)
    name = f"{row.exam} · {exam.short_name}" if exam else row.exam
    lines = [f"Passed {row.passed_on:%-d %B %Y}; {status_line(expiry, today)}."]
    if expiry.renewed_by and expiry.renewed_on:
        lines.append(f"Renewed by your {code(expiry.renewed_by)} pass on {expiry.renewed_on:%-d %B %Y}.")
    if exam is not None and exam.status == "retired" and not expiry.expired(today):
        lines.append(f"{code(exam.code)} is retired; the certification stays valid until it expires.")
    elif exam is not None and exam.status == "retired":
        lines.append(
            f"{code(exam.code)} is retired"
            + (f"; its successor is {code(exam.replaced_by)}." if exam.replaced_by else ".")
        )
    if exam is not None and not expiry.expired(today):
        lines.append(f"How to renew: {esc(exam.renewal)}")
    elif expiry.expired(today):
        lines.append("An expired certification cannot be renewed; take the current exam again.")
    return Field(name, "\n".join(lines))


async def _load(svc: Services, identity: Identity, now: dt.datetime) -> tuple[Member | None, list[cert_store.HeldRow]]:
    async with reading(svc.engine) as conn:
        member = await member_store.find(conn, identity)
        rows = await cert_store.for_member(conn, member.id) if member else []
    return member, rows


async def add_command(req: Request, opts: Options, svc: Services) -> Reply:
    exam = resolve_any_exam(svc, opts["exam"])
    async with svc.engine.begin() as conn:
        member = await member_store.ensure(conn, req.identity, req.at)
        today = member_today(svc, member, req.at)
        passed = parse_day(opts["passed"]) if "passed" in opts else today
        check_pass_date(exam, passed, today)
        before = await cert_store.for_member(conn, member.id)
        held = next((r for r in before if r.exam == exam.code), None)
        if held is not None:
            raise Conflict(
                f"{code(exam.code)} is already in your certifications (passed {held.passed_on:%-d %B %Y}).",
                f"To change the date, `/mycerts remove exam:{exam.code}` and add it again.",
            )
        expires = add_years(passed, exam.validity_years)
        if not await cert_store.add(conn, member.id, exam.code, passed, expires, req.at):
            raise Conflict(f"{code(exam.code)} is already in your certifications.", None)
        after = await cert_store.for_member(conn, member.id)
    renewing = svc.paths.renewing
    old = expiries(held_of(before), renewing, svc.catalog.exams)
    new = expiries(held_of(after), renewing, svc.catalog.exams)
    row = next(r for r in after if r.exam == exam.code)
    fields = [cert_field(svc, row, new[exam.code], today)]
    renewed = [c for c in old if new[c].expires_on > old[c].expires_on]
    text = "`/path` now counts it as done."  # the title says what was added
    if renewed:
        text += (
            " This pass also renews "
            + ", ".join(f"{code(c)} (now until {new[c].expires_on:%-d %B %Y})" for c in renewed)
            + "."
        )
    return Reply(title=f"Added {exam.code}", text=text, fields=tuple(fields), ephemeral=True)


async def remove_command(req: Request, opts: Options, svc: Services) -> Reply:
    exam = resolve_any_exam(svc, opts["exam"])
    async with svc.engine.begin() as conn:
        member = await member_store.find(conn, req.identity)
        removed = member is not None and await cert_store.remove(conn, member.id, exam.code)
    if not removed:
        return Reply(
            title="Nothing to remove",
            text=f"{code(exam.code)} was not in your certifications, so nothing changed. `/mycerts list` shows them.",
            ephemeral=True,
        )
    return Reply(
        title=f"Removed {exam.code}",
        text=f"{code(exam.code)} is no longer in your certifications, and no reminders will come for it.",
        ephemeral=True,
    )


async def list_command(req: Request, opts: Options, svc: Services) -> Reply:
    member, rows = await _load(svc, req.identity, req.at)
    if not rows:
        return Reply(
            title="Your certifications",
            text="None recorded yet. Add one with `/mycerts add exam:SAA-C03 passed:2025-06-01`; "
            "`/path` then marks it done, and you get a reminder 90, 30 and 7 days before it expires.",
            ephemeral=True,
        )
    today = member_today(svc, member, req.at)
    dates = expiries(held_of(rows), svc.paths.renewing, svc.catalog.exams)
    ordered = sorted(rows, key=lambda r: (dates[r.exam].expires_on, r.exam))
    fields = tuple(cert_field(svc, r, dates[r.exam], today) for r in ordered[:25])
    active = sum(1 for r in rows if not dates[r.exam].expired(today))
    return Reply(
        title="Your certifications",
        text=f"{active} active of {len(rows)}. Reminders come by direct message 90, 30 and 7 days before expiry.",
        fields=fields,
        ephemeral=True,
    )


async def profile_fields(req: Request, member: Member, svc: Services) -> list[Field]:
    """The certifications line of `/profile`."""
    async with reading(svc.engine) as conn:
        rows = await cert_store.for_member(conn, member.id)
    if not rows:
        return []  # nothing to show; `/mycerts add` is how to start
    today = member_today(svc, member, req.at)
    dates = expiries(held_of(rows), svc.paths.renewing, svc.catalog.exams)
    lines = [f"{code(r.exam)}: {status_line(dates[r.exam], today)}" for r in rows]
    return [Field("Certifications", bullets(lines))]


async def send_reminders(svc: Services, now: dt.datetime) -> int:
    """The delivery run's share for certifications: send due expiry reminders."""
    return sum(1 for sent in await deliver_reminders(svc, svc.posters, now) if sent.result.ok)


EXAM_OPTION = OptionSpec(
    "exam",
    OptionType.STRING,
    "Exam code or name, like SAA-C03",
    required=True,
    choices_source=EXAM_CODES,
    max_length=100,
)


def register(registry: Registry) -> None:
    registry.profile_section(ProfileSection("certifications", profile_fields))
    registry.delivery_job(DeliveryJob("expiry reminders", send_reminders))
    registry.group(GroupSpec(GROUP, "The AWS certifications you hold, their expiry and renewal"))
    registry.command(
        CommandSpec(
            (*GROUP, "add"),
            "Record a certification you passed; expiry is three years later",
            add_command,
            options=(
                EXAM_OPTION,
                OptionSpec(
                    "passed", OptionType.STRING, "The day you passed, YYYY-MM-DD (default today)", max_length=10
                ),
            ),
            examples=("/mycerts add exam:SAA-C03 passed:2025-06-01", "/mycerts add exam:CLF-C02"),
        )
    )
    registry.command(
        CommandSpec(
            (*GROUP, "remove"),
            "Remove a certification from your list",
            remove_command,
            options=(EXAM_OPTION,),
            examples=("/mycerts remove exam:CLF-C02",),
        )
    )
    registry.command(
        CommandSpec(
            (*GROUP, "list"),
            "Your certifications: expiry, days left, how to renew",
            list_command,
            examples=("/mycerts list",),
        )
    )
