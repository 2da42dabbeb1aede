"""`studybot content check` on `content/paths/`: the shipped rules pass; broken ones fail with file:line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.catalog import default_content_dir, load_catalog
from bot.cli import main
from bot.errors import ContentError
from bot.features import EXTRA_LOADERS
from bot.paths.loader import NAME, PathRules


@pytest.fixture
def content(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(default_content_dir(), target)
    return target


def problems_for(root: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_catalog(root, extra_loaders=EXTRA_LOADERS)
    return caught.value.problems


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), start=1) if needle in line)


def test_the_shipped_paths_are_valid_and_cover_every_current_exam() -> None:
    catalog = load_catalog(extra_loaders=EXTRA_LOADERS)
    rules = catalog.extra[NAME]
    assert isinstance(rules, PathRules)
    assert set(rules.exams) == {e.code for e in catalog.current_exams}
    required = {"student", "developer", "architect", "sysadmin", "devops", "data-engineer", "ml-engineer",
                "security", "networking", "sales", "manager", "career-changer"}  # fmt: skip
    assert set(rules.roles) == required
    spellings = {
        "solutions architect": "architect",
        "ops": "sysadmin",
        "data engineer": "data-engineer",
        "ml": "ml-engineer",
    }
    for spelling, role in spellings.items():
        assert rules.role_names[spelling] == role
    assert {"first-job", "switch-career", "promotion", "breadth"} <= set(rules.goals)


def test_a_retired_exam_in_a_path_is_refused_with_its_line(content: Path) -> None:
    roles = content / "paths" / "roles.yaml"
    edit(
        roles,
        "      - exam: SOA-C03\n        why: >-\n          The exam for your role",
        "      - exam: SOA-C02\n        why: >-\n          The exam for your role",
    )
    problems = problems_for(content)
    line = line_of(roles, "exam: SOA-C02")
    assert f"paths/roles.yaml:{line}: SOA-C02 is retired and paths name current exams only; use SOA-C03" in problems


def test_unknown_fields_and_bad_values_name_file_and_line(content: Path) -> None:
    rules = content / "paths" / "rules.yaml"
    edit(rules, "    store_years: 1\n", "    store_years: 1\n    stored_years: 1\n")
    exams = content / "paths" / "exams.yaml"
    edit(
        exams,
        "hours: {new: 120, some: 80, experienced: 50, senior: 40}",
        "hours: {new: 120, some: 80, experienced: 50}",
    )
    problems = problems_for(content)
    assert any(
        p.startswith(f"paths/rules.yaml:{line_of(rules, 'stored_years')}: bands → 1 → stored_years: unknown field")
        for p in problems
    ), problems
    # One broken file stops the cross-checks, so fix it and look at the other.
    edit(rules, "    stored_years: 1\n", "")
    problems = problems_for(content)
    line = line_of(exams, "experienced: 50}")
    bands = "['experienced', 'new', 'senior', 'some']"
    assert f"paths/exams.yaml:{line}: hours must give exactly the bands {bands}" in problems


def test_projects_must_name_real_domains_and_cover_them_all(content: Path) -> None:
    exams = content / "paths" / "exams.yaml"
    edit(exams, "domains: [Development with AWS Services, Security, Deployment, Troubleshooting and Optimization]",
         "domains: [Development with AWS Services, Security, Deploymint]")  # fmt: skip
    problems = problems_for(content)
    line = line_of(exams, "Deploymint")
    assert f"paths/exams.yaml:{line}: 'Deploymint' is not a domain of DVA-C02" in problems
    assert any(
        "no project for the domains ['Deployment', 'Troubleshooting and Optimization'] of DVA-C02" in p
        for p in problems
    )


def test_aliases_builds_on_and_warning_placeholders_are_checked(content: Path) -> None:
    roles = content / "paths" / "roles.yaml"
    edit(roles, "aliases: [dev, developers,", "aliases: [ops, dev, developers,")
    exams = content / "paths" / "exams.yaml"
    edit(
        exams,
        "builds_on: [SAA-C03]\n    renews: [SAA-C03, CLF-C02]",
        "builds_on: [DOP-C02]\n    renews: [SAA-C03, CLF-C02]",
    )
    problems = problems_for(content)
    assert f"paths/roles.yaml:{line_of(roles, 'aliases: [ops, dev')}: 'ops' also names role developer" in " ".join(
        problems
    ) or any("'ops' also names role" in p for p in problems)
    assert any(
        p.startswith(
            f"paths/exams.yaml:{line_of(exams, 'builds_on: [DOP-C02]')}: builds_on DOP-C02 must be of a lower level"
        )
        for p in problems
    )
    rules = content / "paths" / "rules.yaml"
    edit(roles, "aliases: [ops, dev, developers,", "aliases: [dev, developers,")
    edit(exams, "builds_on: [DOP-C02]", "builds_on: [SAA-C03]")
    edit(rules, "is back in your path as an exam to take again.", "is back in your path, {role}.")
    problems = problems_for(content)
    assert any(p.startswith("paths/rules.yaml:") and "warning expired-held uses ['role']" in p for p in problems), (
        problems
    )


def test_content_check_command_prints_path_problems(content: Path, tmp_path: Path) -> None:
    edit(
        content / "paths" / "rules.yaml",
        "extra_exams: [SAA-C03, DVA-C02, SOA-C03, DEA-C01, MLA-C01]",
        "extra_exams: [SAA-C03, DVA-C02, XYZ-C09, DEA-C01, MLA-C01]",
    )
    result = CliRunner().invoke(
        main,
        ["content", "check", "--dir", str(content)],
        env={"STUDYBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}"},
    )
    assert result.exit_code == 1
    assert "paths/rules.yaml:" in result.output and "unknown exam XYZ-C09" in result.output


def test_renewals_follow_the_aws_recertification_rules() -> None:
    catalog = load_catalog(extra_loaders=EXTRA_LOADERS)
    rules = catalog.extra[NAME]
    assert isinstance(rules, PathRules)
    renewed_by: dict[str, set[str]] = {}
    for plan in rules.exams.values():
        for code in plan.renews:
            renewed_by.setdefault(code, set()).add(plan.exam)
    associates = {e.code for e in catalog.current_exams if e.level == "associate"}
    professionals = {e.code for e in catalog.current_exams if e.level == "professional"}
    assert renewed_by == {
        "CLF-C02": associates | professionals,
        "AIF-C01": {"MLA-C01"},
        "SAA-C03": {"SAP-C02"},
        "DVA-C02": {"DOP-C02"},
        "SOA-C03": {"DOP-C02"},
    }


def test_any_of_prerequisites_are_checked_with_their_line(content: Path) -> None:
    exams = content / "paths" / "exams.yaml"
    edit(exams, "builds_on: [{any_of: [DVA-C02, SOA-C03]}]", "builds_on: [{any_of: [DVA-C02, XYZ-C01, SAP-C02]}]")
    edit(exams, "builds_on: [SAA-C03]\n    renews: [SAA-C03, CLF-C02]", "builds_on: [{any_off: [SAA-C03]}]\n"
         "    renews: [SAA-C03, CLF-C02]")  # fmt: skip
    problems = problems_for(content)
    line = line_of(exams, "any_off")
    expected = f"paths/exams.yaml:{line}: exams → 7 → builds_on → 0 → any_off"
    assert any(p.startswith(expected) for p in problems), problems
    edit(exams, "any_off", "any_of")
    problems = problems_for(content)
    line = line_of(exams, "XYZ-C01")
    assert f"paths/exams.yaml:{line}: unknown exam XYZ-C01" in problems
    assert f"paths/exams.yaml:{line}: builds_on SAP-C02 must be of a lower level than DOP-C02" in problems
    edit(exams, "[DVA-C02, XYZ-C01, SAP-C02]", "[DVA-C02, DVA-C02]")
    problems = problems_for(content)
    assert any(p.startswith(f"paths/exams.yaml:{line}:") and "names an exam twice" in p for p in problems), problems


def test_paths_use_current_names_and_no_outdated_advice() -> None:
    folder = default_content_dir() / "paths"
    files = ("roles.yaml", "rules.yaml", "exams.yaml")
    text = " ".join(" ".join((folder / name).read_text().split()) for name in files)
    for outdated in ("Kinesis Data Firehose", "a Specialty for your role, then the Professional",
                     "as the seed articles recommend", "it builds on both", "three Associates"):  # fmt: skip
        assert outdated not in text, outdated
    rules = load_catalog(extra_loaders=EXTRA_LOADERS).extra[NAME]
    assert isinstance(rules, PathRules)
    business = next(a for a in rules.advice if a.id == "foundational-for-business")
    assert "Cloud Practitioner Essentials" in business.text and "accreditation" not in business.text
    assert "course" in business.text
