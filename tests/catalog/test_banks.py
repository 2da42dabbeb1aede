"""The question banks meet their brief: size, domain shape, answer spread, explanations and links."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.catalog import Catalog
from bot.catalog.report import NEAR_DUPLICATE, bank_report, near_duplicates

MINIMUM = {"SAA-C03": 60, "CLF-C02": 40, "AIF-C01": 40, "DVA-C02": 40, "SOA-C03": 40}
OTHER_MINIMUM = 15
# AWS documentation, or AWS's own policy pages where the policy is the fact (penetration testing, abuse
# reports, data privacy); never marketing pages, blogs or third parties.
OFFICIAL = (
    "https://docs.aws.amazon.com/",
    "https://aws.amazon.com/security/",
    "https://aws.amazon.com/compliance/",
    "https://repost.aws/knowledge-center/",
)
CURRENT = ["CLF-C02", "AIF-C01", "SAA-C03", "DVA-C02", "SOA-C03", "DEA-C01", "MLA-C01", "SAP-C02", "DOP-C02",
           "AIP-C01", "ANS-C01", "SCS-C03"]  # fmt: skip


@pytest.mark.parametrize("code", CURRENT)
def test_bank_meets_its_brief(catalog: Catalog, code: str) -> None:
    report = bank_report(catalog, code)
    questions = catalog.questions.get(code, ())
    assert report.count >= MINIMUM.get(code, OTHER_MINIMUM), f"{code} has {report.count} questions"
    for name, domain in report.domains.items():
        assert abs(domain["share"] - domain["guide"]) <= 8, f"{code} {name}: {domain}"
    assert max(report.positions.values()) <= 35, report.positions
    assert set(report.difficulty) == {"easy", "medium", "hard"}
    assert report.types.get("multiple", 0) >= 10, report.types
    assert report.near_duplicates == []
    for q in questions:
        assert q.links and all(link.startswith(OFFICIAL) for link in q.links), q.id
        assert all(len(o.explanation) >= 10 for o in q.options), q.id
        assert q.written_for == code and q.checked >= catalog.exams[code].reviewed, q.id


def test_near_duplicates_are_caught(catalog: Catalog) -> None:
    first = catalog.questions["SAA-C03"][0]
    twin = first.model_copy(update={"id": "saa-c03-twin", "stem": first.stem + " Pick one."})
    assert [[first.id, "saa-c03-twin"]] == [pair[:2] for pair in near_duplicates((first, twin))]
    assert near_duplicates((first, twin))[0][2] >= NEAR_DUPLICATE


def test_content_report_json_shape() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bot", "content", "report", "--json"], capture_output=True, text=True, check=True
    )
    data = json.loads(out.stdout)
    saa = data["exams"]["SAA-C03"]
    assert saa["count"] >= 60
    assert saa["domains"]["Design Secure Architectures"]["guide"] == 30
    assert set(saa["positions"]) <= set("ABCDEF") and abs(sum(saa["positions"].values()) - 100) < 0.5
    assert set(data["exams"]) == set(CURRENT)
