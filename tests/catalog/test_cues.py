"""Surface cues: a bank whose key is the longest option is refused by content check; ties score as guessing."""

from __future__ import annotations

from pathlib import Path

from bot.catalog import load_catalog
from bot.catalog.cues import measure
from bot.catalog.models import Question
from bot.catalog.quality import bank_gates


def single(i: int, texts: list[str], key: int) -> Question:
    return Question.model_validate(
        {
            "id": f"saa-c03-cue-{i}",
            "domain": "Design Secure Architectures",
            "difficulty": "medium",
            "stem": "Which option is the right one for this made-up scenario about nothing in particular?",
            "options": [
                {"text": t, "correct": n == key, "explanation": "Because the test says so."}
                for n, t in enumerate(texts)
            ],
            "links": ["https://docs.aws.amazon.com/"],
            "written_for": "SAA-C03",
            "checked": "2026-12-02",
        }
    )


def test_the_longest_key_cue_and_ties() -> None:
    cues = measure([single(i, ["a", "bb", "ccc", "a much longer key"], 3) for i in range(4)])
    assert cues.longest == 100.0 and cues.shortest == 0.0 and cues.over_limits()
    tied = measure([single(0, ["aaaa", "bbbb", "cccc", "dddd"], 0)])
    assert tied.longest == 25.0 and tied.shortest == 25.0  # a cue that ties everywhere is a guess


def test_content_check_fails_a_bank_whose_key_is_the_longest_option(tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "content"
    shutil.copytree(Path(load_catalog().root), root)
    bank = root / "questions" / "SAA-C03.yaml"
    rigged = [single(i, ["a", "bb", "ccc", f"a much longer key number {i}"], 3) for i in range(40)]
    lines = "exam: SAA-C03\nquestions:\n" + "".join(
        "  - " + q.model_dump_json(exclude_defaults=True) + "\n" for q in rigged
    )
    bank.write_text(lines, encoding="utf-8")
    problems = bank_gates(load_catalog(root))
    assert any("SAA-C03.yaml:1: SAA-C03: the longest option is the key in 100.0%" in p for p in problems), problems


def test_content_check_names_the_line_of_a_link_that_is_not_aws_documentation(tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "content"
    shutil.copytree(Path(load_catalog().root), root)
    bank = root / "questions" / "CLF-C02.yaml"
    text = bank.read_text(encoding="utf-8")
    first = next(line for line in text.splitlines() if line.strip().startswith("- https://docs.aws.amazon.com/"))
    bank.write_text(text.replace(first, first.split("- ")[0] + "- https://example.com/blog/aws-tips", 1), "utf-8")
    line = 1 + text.splitlines().index(first)
    problems = bank_gates(load_catalog(root))
    assert [p for p in problems if "example.com" in p] == [
        f"content/questions/CLF-C02.yaml:{line}: clf-c02-001: link https://example.com/blog/aws-tips is not AWS "
        "documentation (use a page under https://docs.aws.amazon.com/)"
    ]
