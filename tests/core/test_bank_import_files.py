"""Bringing a group's own questions (issue 20): a file in every form, and errors a moderator can act on.

The file option reaches the core as an `Upload` (Discord reads the attachment, Slack the form, the
console the path); here through `Core.handle` and the console session, on a real SQLite file. Every
problem of a bank is reported in one reply, with its line (YAML) or spreadsheet row (CSV), counted
from 1, in words about the file rather than the validator's.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from adapters.console import ConsoleSession
from bot.catalog import Catalog
from bot.catalog.questions import Place
from bot.commands.dispatch import Core
from bot.features.banks import EXAMPLE
from bot.markup import to_plain
from bot.practice.imports import SHOWN_PROBLEMS, ImportRejected, parse_bank
from bot.requests import Request, Upload
from bot.store.schema import workspace_questions
from tests.conftest import START, person
from tests.practice.test_practice_store import YAML_BANK

MODERATOR = person("mo", moderator=True)
IMPORT = ("studyadmin", "bank", "import")

# The practice-store tests' one-question bank, and a second question.
BANK_YAML = (
    YAML_BANK
    + """  - id: team-q-2
    domain: Design Resilient Architectures
    difficulty: medium
    stem: Which feature keeps a relational database available when its Availability Zone fails?
    options:
      - {text: RDS Multi-AZ deployment, correct: true, explanation: Right. A standby in another zone takes over.}
      - {text: An RDS read replica alone, explanation: Wrong. Promotion is manual and asynchronous.}
      - {text: A larger instance class, explanation: Wrong. Size does not survive a zone failure.}
      - {text: Automated backups, explanation: Wrong. Restoring takes time and loses recent writes.}
    links: [https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZ.html]
    written_for: SAA-C03
    checked: 2026-11-23
"""
)

# Question 1: a shipped id (line 3), a difficulty that is not one (5), `correct: Z` (8).
# Question 2: a domain of no exam guide (16), two options (20), written for another exam (23).
BROKEN_YAML = """exam: SAA-C03
questions:
  - id: saa-c03-001
    domain: Design Secure Architectures
    difficulty: hardish
    stem: Which service issues temporary credentials to an EC2 instance?
    options:
      - {text: An instance profile role, correct: Z, explanation: Right. It hands out rotating credentials.}
      - {text: An IAM user access key, explanation: Wrong. That is a long-term credential.}
      - {text: A key pair, explanation: Wrong. Key pairs are for SSH logins.}
      - {text: A security group, explanation: Wrong. It filters network traffic only.}
    links: [https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2.html]
    written_for: SAA-C03
    checked: 2026-11-23
  - id: team-q-2
    domain: Cooking
    difficulty: medium
    stem: Which feature keeps a relational database available when its Availability Zone fails?
    options:
      - {text: RDS Multi-AZ deployment, correct: true, explanation: Right. A standby in another zone takes over.}
      - {text: An RDS read replica alone, explanation: Wrong. Promotion is manual and asynchronous.}
    links: [https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZ.html]
    written_for: SAA-C02
    checked: 2026-11-23
"""

HEADER = (
    "exam,id,domain,difficulty,type,choose,stem,option_a,explanation_a,option_b,explanation_b,"
    "option_c,explanation_c,option_d,explanation_d,correct,links"
)
ROW = (
    "SAA-C03,team-c-1,Design Secure Architectures,easy,single,1,Which service issues temporary credentials?,"
    "Instance profile,Right. Rotating credentials.,Access key,Wrong. Long-term key.,Key pair,Wrong. SSH only.,"
    "Security group,Wrong. Network only.,A,https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles.html"
)
BANK_CSV = f"{HEADER}\n{ROW}\n"


async def stored(core: Core) -> int:
    async with core.services.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(workspace_questions))).scalar_one())


async def give(core: Core, data: bytes, name: str = "bank.yaml", **options: object) -> str:
    reply = await core.handle(Request(MODERATOR, IMPORT, {"file": Upload(name, data), **options}))
    return f"{reply.title}\n{reply.text}"


# -- the file option in the core -------------------------------------------------------------------


async def test_a_file_is_imported_like_text(core: Core) -> None:
    said = await give(core, BANK_YAML.encode())
    assert said.startswith("Question bank imported\n") and "2 new, 0 updated" in said
    said = await give(core, b"\xef\xbb\xbf" + BANK_CSV.encode(), "bank.csv")  # Excel's "CSV UTF-8"
    assert said.startswith("Question bank imported\n") and "1 new" in said
    assert await stored(core) == 3


async def test_a_file_too_big_not_text_or_empty_is_refused_and_changes_nothing(core: Core) -> None:
    too_big = await core.handle(Request(MODERATOR, IMPORT, {"file": Upload("huge.csv", b"x" * 10, size=3_200_000)}))
    assert too_big.title == "That didn't work"
    assert "`huge.csv` is 3.2 MB" in too_big.text and "over the 1 MB that" in too_big.text
    assert "is 1,000,001 bytes, over the 1 MB" in await give(core, b"x" * 1_000_001, "big.yaml")
    assert "`sheet.xlsx` is not UTF-8 text" in await give(core, b"PK\x03\x04\xff\xfe", "sheet.xlsx")
    assert "is not UTF-8 text" in await give(core, b"exam: SAA-C03\x00", "nul.yaml")
    assert "`blank.yaml` is empty" in await give(core, b" \n\n", "blank.yaml")
    assert await stored(core) == 0


async def test_a_file_option_cannot_be_typed_and_file_with_text_is_refused(core: Core) -> None:
    typed = await core.handle(Request(MODERATOR, IMPORT, {"file": "bank.yaml"}))
    assert typed.title == "That didn't work" and "takes a file, not typed text" in typed.text
    both = await give(core, BANK_YAML.encode(), text="exam: SAA-C03")
    assert "not both" in both
    nothing = await core.handle_line(MODERATOR, "/studyadmin bank import")
    assert "or as a file in `file:`" in nothing.text
    assert await stored(core) == 0


async def test_bare_words_never_fill_the_file_option(core: Core) -> None:
    """`file` sits between `mode` and `text`; typed bare words still go to `text`, as before."""
    reply = await core.handle_line(MODERATOR, "/studyadmin bank import append exam: SAA-C03")
    assert "takes a file" not in reply.text and "Nothing was imported" in reply.text


async def test_text_takes_the_rest_of_the_line_without_mode_first(core: Core) -> None:
    """`text:` named first took only its first word (and `questions:` was "no such option") unless
    `mode:` came before it; free text now takes the rest of the line wherever it is named."""
    one_line = EXAMPLE.split("text:", 1)[1]
    reply = await core.handle_line(MODERATOR, f"/studyadmin bank import text:{one_line}")
    assert reply.title == "Question bank imported", reply.text
    assert await stored(core) == 1


async def test_a_big_bank_is_read_off_the_event_loop(core: Core) -> None:
    """PyYAML reads a megabyte bank in seconds; meanwhile the loop keeps serving everyone else. A
    task that only yields counts its turns while a big (and rejected, so nothing is written) bank is
    read: on the loop it would get a handful, around the core's few awaits."""
    head, body = BANK_YAML.split("questions:\n", 1)
    question = body.split("  - id: team-q-2")[0]
    many = "".join(question.replace("team-q-1", f"team-q-{n}") for n in range(150))
    text = head + "questions:\n" + many.replace("domain: Design Secure Architectures", "domain: Cooking", 1)
    turns = 0

    async def other_work() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(other_work())
    try:
        said = await give(core, text.encode())
    finally:
        other.cancel()
    assert "Nothing was imported: 1 problem." in said and "'Cooking' is not a domain" in said
    assert turns > 200, turns


# -- every problem in one pass, in the moderator's words -------------------------------------------


async def test_every_problem_of_a_yaml_bank_in_one_reply(core: Core) -> None:
    said = await give(core, BROKEN_YAML.encode())
    assert "Nothing was imported: 6 problems." in said
    lines = [line.removeprefix("- ") for line in said.splitlines() if line.startswith("- ")]
    assert [line.split(":", 1)[0] for line in lines] == [
        "line 3, question 1",
        "line 5, question 1",
        "line 8, question 1",
        "line 16, question 2",
        "line 20, question 2",
        "line 23, question 2",
    ], lines
    assert "already a shipped question" in lines[0]
    assert "difficulty must be 'easy', 'medium' or 'hard', not 'hardish'" in lines[1]
    assert "option A: correct must be true or false, not 'Z'" in lines[2]
    assert "'Cooking' is not a domain of SAA-C03" in lines[3]
    assert "has 2 options; a question needs 4 to 6" in lines[4]
    assert "written_for SAA-C02 differs from the bank's exam SAA-C03" in lines[5]
    for validator_words in ("Tuple", "validation", "Input should", "→", "questions → 0"):
        assert validator_words not in said
    assert await stored(core) == 0


def test_whole_question_checks_are_not_left_for_a_second_pass(catalog: Catalog) -> None:
    """pydantic skips a question's own checks (how many options, how many correct) once a field has
    failed; a moderator still hears about both at once."""
    three_options = ROW.replace(",easy,", ",hardish,").replace("Security group,Wrong. Network only.", ",")
    two_right = ROW.replace("team-c-1", "team-c-2").replace("Which service issues temporary credentials?", "Short?")
    two_right = two_right.replace(",A,https", ",A B,https")
    try:
        parse_bank("\n".join([HEADER, three_options, two_right]), catalog, today=START.date())
    except ImportRejected as exc:
        problems = exc.problems
    else:
        raise AssertionError("the bank was accepted")
    assert problems == [
        "row 2: difficulty must be 'easy', 'medium' or 'hard', not 'hardish'",
        "row 2: question team-c-1 needs at least 4 options",
        "row 3: stem is too short: at least 20 characters",
        "row 3: single-answer question team-c-2 needs exactly one correct option",
    ]


def test_every_problem_of_a_csv_bank_in_one_pass_counted_as_a_spreadsheet_shows_rows(catalog: Catalog) -> None:
    rows = [
        ROW.replace(",A,https", ",Z,https"),  # row 2: correct: Z
        ROW.replace("SAA-C03,team-c-1", "SAA-C02,saa-c03-001"),  # row 3: another exam, and a shipped id
        ROW.replace("Design Secure", "Cooking").replace("team-c-1", "team-c-3"),  # row 4: no such domain
        ROW.replace("team-c-1", "team-c-4").replace(
            "Key pair,Wrong. SSH only.,Security group,Wrong. Network only.", ",,,"
        ),
        ROW.replace("team-c-1", "team-c-5").replace(",1,Which", ",two,Which"),  # row 6: choose is no number
    ]
    try:
        parse_bank("\n".join([HEADER, *rows]), catalog, today=START.date())
    except ImportRejected as exc:
        problems = exc.problems
    else:
        raise AssertionError("the bank was accepted")
    assert problems == [
        "row 2: correct: Z is not an option of this row (it has options A to D)",
        "row 3: this row is for SAA-C02, the rows above for SAA-C03; import one exam at a time",
        "row 3: question id saa-c03-001 is already a shipped question; choose another id",
        "row 4: 'Cooking Architectures' is not a domain of SAA-C03 (Design Secure Architectures; Design Resilient"
        " Architectures; Design High-Performing Architectures; Design Cost-Optimized Architectures)",
        "row 5: has 2 options; a question needs 4 to 6 (ordering and matching 3 to 6)",
        "row 6: choose must be a whole number, not 'two'",
    ]


def test_many_problems_are_capped_with_a_count_of_the_rest(catalog: Catalog) -> None:
    rows = [ROW.replace("team-c-1", f"team-c-{n}").replace("Design Secure", "Cooking") for n in range(40)]
    try:
        parse_bank("\n".join([HEADER, *rows]), catalog, today=START.date())
    except ImportRejected as exc:
        assert len(exc.problems) == 40
        shown = [line for line in exc.message.splitlines() if line.startswith("- ")]
        assert len(shown) == SHOWN_PROBLEMS and shown[0].startswith("- row 2:")
        assert exc.message.endswith(f"…and {40 - SHOWN_PROBLEMS} more.")
    else:
        raise AssertionError("the bank was accepted")


# -- the console: a path --------------------------------------------------------------------------


async def test_the_console_imports_a_file_by_its_path(core: Core, tmp_path: Path) -> None:
    session = ConsoleSession(core, MODERATOR)
    (tmp_path / "bank.yaml").write_text(BANK_YAML, encoding="utf-8")
    said = await session.run_line(f"/studyadmin bank import mode:append file:{tmp_path / 'bank.yaml'}")
    assert said is not None and "Question bank imported" in said and "2 new, 0 updated" in said
    quoted = tmp_path / "my banks" / "team bank.csv"
    quoted.parent.mkdir()
    quoted.write_text(BANK_CSV, encoding="utf-8")
    said = await session.run_line(f'/studyadmin bank import file:"{quoted}"')
    assert said is not None and "Question bank imported" in said
    assert await stored(core) == 3


async def test_the_console_says_what_is_wrong_with_a_path_and_changes_nothing(core: Core, tmp_path: Path) -> None:
    session = ConsoleSession(core, MODERATOR)
    (tmp_path / "big.yaml").write_bytes(b"#" * 1_500_000)
    (tmp_path / "sheet.xlsx").write_bytes(b"PK\x03\x04\xff\xfe\x00")
    (tmp_path / "broken.yaml").write_text(BROKEN_YAML, encoding="utf-8")
    cases = {
        f"file:{tmp_path / 'missing.yaml'}": "There is no file",
        f"file:{tmp_path}": "is a folder, not a file",
        f"file:{tmp_path / 'big.yaml'}": "is 1.5 MB",
        f"file:{tmp_path / 'sheet.xlsx'}": "is not UTF-8 text",
        f"file:{tmp_path / 'broken.yaml'}": "Nothing was imported: 6 problems",
    }
    for option, says in cases.items():
        said = await session.run_line(f"/studyadmin bank import {option}")
        assert said is not None and "That didn't work" in said and says in said, (option, said)
    assert await stored(core) == 0


def test_studybot_shell_reads_a_path_relative_to_where_it_was_started(tmp_path: Path) -> None:
    (tmp_path / "bank.yaml").write_text(BANK_YAML, encoding="utf-8")
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    env["STUDYBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "shell"],
        input="/studyadmin bank import file:bank.yaml\n/practice exam:SAA-C03\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "> /studyadmin bank import file:bank.yaml\n" in done.stdout
    assert "Question bank imported" in done.stdout and "2 new, 0 updated" in done.stdout


async def test_the_reply_says_the_group_s_questions_join_the_shipped_ones_and_what_did_not_change(
    core: Core,
) -> None:
    """Found by an outside tester: "replace ... it now holds 2 questions" read as if members would get
    only those two, while practice kept serving the shipped bank beside them; and importing the same
    file again said "2 updated" though nothing had changed."""
    first = to_plain(await give(core, BANK_YAML.encode(), mode="replace"))
    async with core.services.engine.connect() as conn:
        served = len(await core.services.questions.pool(conn, Place("console", MODERATOR.workspace), "SAA-C03"))
    assert "the group now has 2 questions of its own for SAA-C03" in first, first
    assert f"draw from them and {served - 2} shipped questions ({served:,} in all)" in first, first
    again = to_plain(await give(core, BANK_YAML.encode()))
    assert "0 new, 0 updated (2 unchanged)" in again, again
