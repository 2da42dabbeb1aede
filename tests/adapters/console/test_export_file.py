"""`/profile export` in the console is a file under the data directory, readable by its owner only, with
its path printed; the platforms without files get the same JSON as paged text (issue 18)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from adapters.console.shell import ConsoleSession
from bot.commands.dispatch import Core
from bot.replies import Attachment
from tests.adapters.console.test_shell import studybot
from tests.conftest import person


async def test_export_is_written_to_a_private_file_and_its_path_printed(core: Core, tmp_path: Path) -> None:
    session = ConsoleSession(core, person(), files=tmp_path / "exports")
    await session.run_line("/mycerts add exam:SAA-C03 passed:2025-06-01")
    await session.run_line("/notify snooze:2w")
    said = await session.run_line("/profile export")
    path = tmp_path / "exports" / "studybot-export-ada.json"
    assert said is not None and f"Saved to {path} (" in said and '"stored"' not in said
    data = json.loads(path.read_text())
    assert [row["exam"] for row in data["stored"]["held_certifications"]] == ["SAA-C03"]
    assert data["stored"]["notify_settings"][0]["snooze_until"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    # The reply itself carries the same JSON, as a file and as text, for adapters that cannot attach one.
    reply = await core.handle_line(person(), "/profile export")
    assert isinstance(reply.attachment, Attachment)
    lines = [line.strip("`") for line in reply.text.split("\n")[1:]]
    assert json.loads("\n".join(lines)) == json.loads(reply.attachment.content)


async def test_a_file_name_cannot_leave_the_export_folder(core: Core, tmp_path: Path) -> None:
    session = ConsoleSession(core, person("../../etc/passwd"), files=tmp_path / "exports")
    said = await session.run_line("/profile export")
    assert said is not None and "Saved to" in said
    assert [p.name for p in (tmp_path / "exports").iterdir()] == ["studybot-export-.._.._etc_passwd.json"]
    assert not (tmp_path / "etc").exists()


def test_exec_and_shell_save_files_in_the_folder_given(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    out = studybot(["exec", "--user", "ada", "--files", str(folder), "/profile export"], tmp_path)
    assert out.returncode == 0, out.stderr
    path = folder / "studybot-export-ada.json"
    assert f"Saved to {path} (" in out.stdout and json.loads(path.read_text())["who"]["user_id"] == "ada"
    shell = studybot(["shell", "--user", "ada", "--files", str(tmp_path / "other")], tmp_path, "/profile export\n")
    assert shell.returncode == 0 and (tmp_path / "other" / "studybot-export-ada.json").is_file()
