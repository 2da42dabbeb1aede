"""The registry of declared commands, groups and actions, validated as they are registered.

Validation happens at registration so that a bad declaration fails the first test that builds the
core, long before Discord rejects a sync with a 400.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from bot.commands.spec import (
    ActionSpec,
    ChoiceSourceFn,
    CommandSpec,
    DeletionStep,
    DeliveryJob,
    GroupSpec,
    OptionSpec,
    OptionType,
    Permission,
    ProfileSection,
)

# Discord: names 1-32 characters, lower case; we also keep them ASCII so Slack and the console agree.
NAME = re.compile(r"^[a-z0-9_-]{1,32}$")
MAX_OPTIONS = 25
MAX_CHOICES = 25
MAX_CHILDREN = 25
MAX_TOP_LEVEL = 100
MAX_DEPTH = 3


class RegistrationError(ValueError):
    """A declaration that no platform could accept; raised at registration, never at run time."""


@dataclass
class Registry:
    commands: dict[tuple[str, ...], CommandSpec] = field(default_factory=dict)
    groups: dict[tuple[str, ...], GroupSpec] = field(default_factory=dict)
    actions: dict[str, ActionSpec] = field(default_factory=dict)
    sources: dict[str, ChoiceSourceFn] = field(default_factory=dict)
    profile_sections: list[ProfileSection] = field(default_factory=list)
    delivery_jobs: list[DeliveryJob] = field(default_factory=list)
    deletion_steps: list[DeletionStep] = field(default_factory=list)

    def choice_source(self, name: str, source: ChoiceSourceFn) -> None:
        """A dynamic list of choices (exam codes, …) that options name in `choices_source`."""
        if name in self.sources:
            raise RegistrationError(f"choice source {name!r} is declared twice")
        self.sources[name] = source

    def group(self, group: GroupSpec) -> GroupSpec:
        if len(group.path) >= MAX_DEPTH:
            raise RegistrationError(f"group {' '.join(group.path)!r} is nested too deeply")
        self._check_names(group.path)
        self._check_description(" ".join(group.path), group.description)
        if group.path in self.groups or group.path in self.commands:
            raise RegistrationError(f"{' '.join(group.path)!r} is declared twice")
        if len(group.path) > 1 and group.path[:-1] not in self.groups:
            raise RegistrationError(f"group {' '.join(group.path)!r} needs its parent group declared first")
        self._check_room(group.path)
        self.groups[group.path] = group
        return group

    def command(self, spec: CommandSpec) -> CommandSpec:
        name = spec.name
        if not 1 <= len(spec.path) <= MAX_DEPTH:
            raise RegistrationError(f"command {name!r} must have one to three words")
        self._check_names(spec.path)
        self._check_description(name, spec.description)
        if spec.path in self.commands or spec.path in self.groups:
            raise RegistrationError(f"command {name!r} is declared twice")
        if len(spec.path) > 1 and spec.path[:-1] not in self.groups:
            raise RegistrationError(f"command {name!r} belongs to a group that is not declared")
        if len(spec.path) > 1 and self.groups[spec.path[:-1]].permission is Permission.MODERATOR:
            if spec.permission is not Permission.MODERATOR:
                raise RegistrationError(f"{name!r} sits in a moderator group and must be a moderator command")
        if not inspect.iscoroutinefunction(spec.handler):
            raise RegistrationError(f"the handler of {name!r} must be an async function")
        self._check_options(name, spec.options)
        for example in spec.examples:
            if not example.startswith("/" + name):
                raise RegistrationError(f"example {example!r} of {name!r} must start with /{name}")
        self._check_room(spec.path)
        self.commands[spec.path] = spec
        return spec

    def action(self, spec: ActionSpec) -> ActionSpec:
        if spec.kind in self.actions:
            raise RegistrationError(f"action kind {spec.kind!r} is declared twice")
        if not inspect.iscoroutinefunction(spec.handler):
            raise RegistrationError(f"the handler of action {spec.kind!r} must be an async function")
        self.actions[spec.kind] = spec
        return spec

    def profile_section(self, section: ProfileSection) -> ProfileSection:
        self._unique(section.name, self.profile_sections, "profile section")
        self.profile_sections.append(section)
        return section

    def delivery_job(self, job: DeliveryJob) -> DeliveryJob:
        self._unique(job.name, self.delivery_jobs, "delivery job")
        if not inspect.iscoroutinefunction(job.run):
            raise RegistrationError(f"delivery job {job.name!r} must be an async function")
        self.delivery_jobs.append(job)
        return job

    def deletion_step(self, step: DeletionStep) -> DeletionStep:
        self._unique(step.name, self.deletion_steps, "deletion step")
        self.deletion_steps.append(step)
        return step

    @staticmethod
    def _unique(name: str, existing: list[ProfileSection] | list[DeliveryJob] | list[DeletionStep], what: str) -> None:
        if any(item.name == name for item in existing):
            raise RegistrationError(f"{what} {name!r} is declared twice")

    # -- lookups -------------------------------------------------------------------------------

    def visible(self, is_moderator: bool) -> list[CommandSpec]:
        """The commands this member may run, in declaration order (what `/help` and parsing show)."""
        return [s for s in self.commands.values() if is_moderator or s.permission is Permission.MEMBER]

    def visible_top_level(self, is_moderator: bool) -> list[str]:
        names = {s.path[0] for s in self.visible(is_moderator)}
        return [n for n in self.top_level() if n in names]

    def children(self, prefix: tuple[str, ...]) -> list[str]:
        """Names directly under `prefix` (a group or the root), in declaration order."""
        seen: dict[str, None] = {}
        for path in [*self.groups, *self.commands]:
            if len(path) == len(prefix) + 1 and path[: len(prefix)] == prefix:
                seen[path[-1]] = None
        return list(seen)

    def top_level(self) -> list[str]:
        return self.children(())

    def is_group(self, path: tuple[str, ...]) -> bool:
        return path in self.groups

    def __iter__(self) -> Iterator[CommandSpec]:
        return iter(self.commands.values())

    def permission_of(self, path: tuple[str, ...]) -> Permission:
        """A group is for moderators when its declaration says so."""
        if path in self.commands:
            return self.commands[path].permission
        if path in self.groups:
            return self.groups[path].permission
        raise KeyError(path)

    # -- validation ----------------------------------------------------------------------------

    def _check_names(self, path: tuple[str, ...]) -> None:
        for word in path:
            if not NAME.match(word):
                raise RegistrationError(f"{word!r} is not a valid command name (a-z, 0-9, - and _, at most 32)")

    @staticmethod
    def _check_description(name: str, description: str) -> None:
        if not 1 <= len(description) <= 100:
            raise RegistrationError(f"the description of {name!r} must be 1 to 100 characters")

    def _check_room(self, path: tuple[str, ...]) -> None:
        siblings = self.children(path[:-1])
        limit = MAX_TOP_LEVEL if len(path) == 1 else MAX_CHILDREN
        if path[-1] not in siblings and len(siblings) >= limit:
            raise RegistrationError(f"too many commands under {' '.join(path[:-1]) or 'the root'!r}")

    def _check_options(self, name: str, options: tuple[OptionSpec, ...]) -> None:
        if len(options) > MAX_OPTIONS:
            raise RegistrationError(f"{name!r} has {len(options)} options; the limit is {MAX_OPTIONS}")
        seen: set[str] = set()
        optional_seen = False
        for index, option in enumerate(options):
            where = f"option {option.name!r} of {name!r}"
            if not NAME.match(option.name):
                raise RegistrationError(f"{where} is not a valid option name")
            if option.name in seen:
                raise RegistrationError(f"{where} is declared twice")
            seen.add(option.name)
            self._check_description(where, option.description)
            if option.required and optional_seen:
                raise RegistrationError(f"{where} is required but follows an optional option")
            optional_seen = optional_seen or not option.required
            if len(option.choices) > MAX_CHOICES:
                raise RegistrationError(f"{where} has more than {MAX_CHOICES} choices")
            if option.choices_source and option.choices_source not in self.sources:
                raise RegistrationError(f"{where} names choice source {option.choices_source!r}, not declared yet")
            if option.choices and option.choices_source:
                raise RegistrationError(f"{where} has both fixed choices and a choices source")
            for choice in option.choices:
                if not (1 <= len(choice.name) <= 100 and 1 <= len(choice.value) <= 100):
                    raise RegistrationError(f"a choice of {where} must have a name and value of 1 to 100 characters")
            if option.rest and (index != len(options) - 1 or option.type is not OptionType.STRING):
                raise RegistrationError(f"{where}: only the last option, a string, may take the rest of the line")
