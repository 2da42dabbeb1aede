"""A role is named in /ask's sentences as people, not as its button label (issue 20, found by an outside
tester: "Certifications for a new to it / career changer", and "For a operations / sysadmin")."""

from __future__ import annotations

import pytest

from bot.catalog import Catalog
from bot.catalog.ask import AskEngine
from bot.markup import to_plain


@pytest.mark.parametrize(
    ("question", "title"),
    [
        ("which cert for a sysadmin", "Certifications for someone in operations or system administration"),
        ("which cert for a career changer", "Certifications for someone new to IT or changing careers"),
        ("which cert for a developer", "Certifications for a developer"),
    ],
)
def test_a_role_reads_as_people_in_the_answer(catalog: Catalog, question: str, title: str) -> None:
    answer = AskEngine(catalog).answer(question)
    text = to_plain(answer.text)
    assert answer.title == title, (answer.title, text)
    assert " / " not in answer.title and " / " not in text.split("\n")[0], text
