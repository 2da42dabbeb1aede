"""`studybot content check`: the real content passes; broken files fail with file and line."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from bot.catalog import Catalog, default_content_dir, load_catalog
from bot.errors import ContentError


def test_the_shipped_content_is_valid_and_complete(catalog: Catalog) -> None:
    assert len(catalog.current_exams) == 12
    assert len(catalog.faq) >= 60
    assert len({e.id for e in catalog.faq}) == len(catalog.faq)
    for exam in catalog.current_exams:
        assert sum(d.weight for d in exam.domains) == 100
        assert exam.exam_guide_url and exam.aliases and exam.sources


@pytest.fixture
def content(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(default_content_dir(), target)
    return target


def problems_for(root: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_catalog(root)
    return caught.value.problems


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), start=1) if needle in line)


def test_unknown_field_names_file_and_line(content: Path) -> None:
    exam = content / "exams" / "SAA-C03.yaml"
    edit(exam, "price_usd: 150", "price_usd: 150\nprize_usd: 150")
    problems = problems_for(content)
    assert f"exams/SAA-C03.yaml:{line_of(exam, 'prize_usd')}: prize_usd: unknown field" in problems[0]


def test_wrong_type_and_weights_not_summing_to_100(content: Path) -> None:
    exam = content / "exams" / "DVA-C02.yaml"
    edit(exam, "duration_minutes: 130", "duration_minutes: two hours")
    problems = problems_for(content)
    assert any(p.startswith(f"exams/DVA-C02.yaml:{line_of(exam, 'two hours')}: duration_minutes") for p in problems)
    edit(exam, "duration_minutes: two hours", "duration_minutes: 130")
    edit(exam, "weight: 32", "weight: 33")
    assert any("sum to 101, not 100" in p and p.startswith("exams/DVA-C02.yaml:") for p in problems_for(content))


def test_missing_fields_duplicate_ids_and_broken_references(content: Path) -> None:
    faq = content / "faq" / "extra.yaml"
    faq.write_text(
        textwrap.dedent(
            """\
            topic: Broken on purpose
            entries:
              - id: certification-validity
                question: How long is it valid again?
                phrasings: [how long valid, validity]
                answer: Three years from the day you pass, like every other one.
                sources: [{title: Somewhere}]
                exams: [XYZ-C09]
            """
        )
    )
    (content / "faq" / "missing.yaml").write_text(
        "topic: Missing\nentries:\n  - id: no-answer-here\n    question: Where is the answer?\n"
        "    phrasings: [a, b]\n    sources: [{title: Somewhere}]\n"
    )
    problems = problems_for(content)
    assert any(p.endswith(": FAQ id certification-validity is used twice") for p in problems)
    assert "faq/extra.yaml:8: unknown exam XYZ-C09" in problems
    assert "faq/missing.yaml:3: entries → 0 → answer: Field required" in problems


def test_question_problems_name_their_line(content: Path) -> None:
    bank = content / "questions" / "SAA-C03.yaml"
    edit(bank, "domain: Design Secure Architectures", "domain: Design Insecure Architectures")
    problems = problems_for(content)
    line = line_of(bank, "Design Insecure Architectures")
    assert any(
        p.startswith(f"questions/SAA-C03.yaml:{line}: 'Design Insecure Architectures' is not a domain")
        for p in problems
    )


def test_invalid_yaml_is_reported_with_its_line(content: Path) -> None:
    (content / "faq" / "bad.yaml").write_text("topic: x\nentries:\n  - id: [unclosed\n")
    assert any(p.startswith("faq/bad.yaml:") and "not valid YAML" in p for p in problems_for(content))


def test_ask_intents_name_their_line(content: Path) -> None:
    ask = content / "ask.yaml"
    edit(ask, "    faq: retake-after-failing", "    faq: retake-after-flunking")
    problems = "\n".join(problems_for(content))
    assert f"ask.yaml:{line_of(ask, 'retake-after-flunking')}: intent retake-wait: unknown FAQ" in problems
    edit(ask, "    faq: retake-after-flunking", "    faq: retake-after-failing")
    edit(ask, "patterns: ['\\bbeta\\b']", "patterns: ['\\bbeta(\\b']")
    assert any(p.startswith("ask.yaml:") and "not a regular expression" in p for p in problems_for(content))


def test_a_month_only_date_must_be_stored_as_the_first(content: Path) -> None:
    edit(content / "exams" / "CLF-C02.yaml", "available_from: 2023-09-01", "available_from: 2023-09-18")
    assert any(p.startswith("exams/CLF-C02.yaml:") and "known to the month only" in p for p in problems_for(content))
