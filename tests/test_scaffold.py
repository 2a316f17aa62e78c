"""`manzoori plugin new`: a new province's package works as generated. It is pip-installed
(into a folder of its own, so the test venv stays as it was), passes its own tests and
the conformance kit, and Gilgit-Baltistan takes part in a joint resolution to adoption."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import engine.core.registry
from engine.contract.hookspecs import CONTRACT_VERSION
from tests.forms import form_for

CODE = "gilgit-baltistan"


def _run(*args: str, site: Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site), "COLUMNS": "250",
           "MANZOORI_HOME": str(site.parent / "subprocess-home")}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=600)


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Gilgit-Baltistan scaffolded by `manzoori plugin new` and pip-installed (offline: no
    build isolation, no dependencies) into a folder of its own, `site` beside it."""
    root = tmp_path_factory.mktemp("scaffold")
    package, site = root / CODE, root / "site"
    said = _run("-m", "engine.cli", "plugin", "new", CODE, "-o", str(package), site=site)
    assert said.returncode == 0, said.stderr
    assert "manzoori-gilgit-baltistan" in said.stdout and "references GB-" in said.stdout
    pip = _run("-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
               "--target", str(site), str(package), site=site)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    return package


@pytest.fixture
def installed(package: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The installed package on this process's path, and the parties loaded again."""
    monkeypatch.syspath_prepend(str(package.parent / "site"))
    monkeypatch.setattr(engine.core.registry, "_registry", None)
    return package


def test_scaffold_refuses_to_overwrite_and_names_what_is_wrong(manzoori, tmp_path: Path) -> None:
    folder = tmp_path / "gb"
    manzoori("plugin", "new", CODE, "-o", str(folder))
    before = {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}
    again = manzoori("plugin", "new", CODE, "-o", str(folder), expect=1)
    assert f"{folder} already exists and is not empty; nothing was written" in again.stderr
    assert {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()} == before
    assert "cannot be a party code" in manzoori("plugin", "new", "Gilgit_Baltistan", "-o",
                                                str(tmp_path / "x"), expect=1).stderr
    assert "give the Urdu name of Chitral with --name-ur" in manzoori(
        "plugin", "new", "chitral", "-o", str(tmp_path / "y"), expect=1).stderr
    assert "--code 'G' cannot start references" in manzoori(
        "plugin", "new", CODE, "--code", "G", "-o", str(tmp_path / "z"), expect=1).stderr
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_scaffolded_province_is_listed_and_passes_its_tests_and_the_conformance_kit(
    installed: Path,
) -> None:
    site = installed.parent / "site"
    listed = _run("-m", "engine.cli", "provinces", "--check", site=site)
    assert listed.returncode == 0, listed.stderr
    assert "Government of Gilgit-Baltistan" in listed.stdout and "حکومتِ گلگت بلتستان" in listed.stdout
    # It declares the contract it was written for: this engine's.
    [row] = [line for line in listed.stdout.splitlines() if line.startswith(f"│ {CODE}")]
    assert row.split("│")[-2].strip() == str(CONTRACT_VERSION)
    # Its generated tests (3 on its rules, the kit's 8 through ConformanceSuite) and the
    # kit once more as the pytest plugin a CI job can add to any package's run.
    tests = _run("-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "engine.testing",
                 "--party", CODE, site=site, cwd=installed)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "21 passed" in tests.stdout


def test_gilgit_baltistan_is_party_to_a_joint_resolution_to_adoption(manzoori, installed: Path) -> None:
    manzoori("init", "--samples")  # [sample] officers for Gilgit-Baltistan's offices
    officers = manzoori.query("SELECT o.username, o.name, o.sample FROM officers o JOIN appointments a "
                              "ON a.officer_id = o.id WHERE a.party = :p ORDER BY 1", p=CODE)
    assert [row[0] for row in officers] == [
        "gilgit-baltistan.finance-secretary", "gilgit-baltistan.wdd-deputy-secretary",
        "gilgit-baltistan.wdd-minister", "gilgit-baltistan.wdd-secretary"]
    assert all(row[2] and row[1].endswith("[sample]") for row in officers)

    parties = ["ncsw", "punjab", CODE]
    reference = manzoori.draft("joint_resolution", ",".join(parties), "IPMG resolutions with GB",
                               form_for("ncsw", "joint_resolution", parties), "ncsw.secretary")
    manzoori.act(reference, "submit", "ncsw.secretary")
    manzoori.act(reference, "feedback", "ncsw.chairperson", expect=3)  # its own draft
    for officer in ("punjab.wdd-secretary", "gilgit-baltistan.wdd-secretary"):
        manzoori.act(reference, "feedback", officer, "--comment", "Agreed [sample]")
    manzoori.act(reference, "submit", "ncsw.secretary")
    # Gilgit-Baltistan's steps are for its own offices only.
    manzoori.act(reference, "approve", "punjab.wdd-minister")
    manzoori.act(reference, "approve", "gilgit-baltistan.wdd-secretary", expect=3)
    for officer in ("ncsw.chairperson", "gilgit-baltistan.wdd-minister"):
        manzoori.act(reference, "approve", officer)
    for officer in ("ncsw.chairperson", "punjab.wdd-minister", "gilgit-baltistan.wdd-minister"):
        manzoori.act(reference, "sign", officer)

    assert manzoori.state(reference) == "adopted"
    decided = manzoori.query(
        "SELECT s.name, s.office, d.action, o.username FROM steps s JOIN items i ON i.id = s.item_id "
        "JOIN decisions d ON d.step_id = s.id JOIN officers o ON o.id = d.officer_id "
        "WHERE i.reference = :r AND s.party = :p ORDER BY d.id", r=reference, p=CODE)
    assert decided == [
        ("feedback", "wdd-secretary", "feedback", "gilgit-baltistan.wdd-secretary"),
        ("approval", "wdd-minister", "approve", "gilgit-baltistan.wdd-minister"),
        ("signature", "wdd-minister", "sign", "gilgit-baltistan.wdd-minister"),
    ]
    html = manzoori("render", reference).stdout
    assert html.count('<div class="department">Women Development Department</div>') == 1
    assert "حکومتِ گلگت بلتستان" in html and "Government of the Punjab" in html


def test_gilgit_baltistans_own_form_renders_in_english_and_urdu(manzoori, installed: Path) -> None:
    manzoori("init", "--samples")
    plan = {"period_start": "2026-07-01", "period_end": "2027-06-30",
            "summary": "Women Development Department work plan for 2026-27 [sample].",
            "activities": [{"activity": "District consultations with women councillors",
                            "quarter": "2026-Q3"}],
            "districts": ["Gilgit", "Skardu"], "adp_cost_pkr": 80_000_000}
    reference = manzoori.draft("work_plan", CODE, "Work plan 2026-27", plan,
                               "gilgit-baltistan.wdd-deputy-secretary")
    assert reference.startswith("GB-WP-")
    manzoori.act(reference, "submit", "gilgit-baltistan.wdd-deputy-secretary")
    manzoori.act(reference, "clear", "gilgit-baltistan.wdd-secretary")
    assert manzoori.state(reference) == "finance_review"  # its rule: ADP cost above PKR 50 million
    html = manzoori("render", reference).stdout
    for text in ("Annual Development Programme cost (PKR)", "سالانہ ترقیاتی پروگرام لاگت (روپے)",
                 "80,000,000", "Skardu", "اضلاع", "Work plan 2026-27"):
        assert text in html
    late = {**plan, "activities": [{"activity": "Provincial women's convention", "quarter": "2028-Q1"}]}
    refused = manzoori("draft", "work_plan", "--parties", CODE, "--title", "Late plan", "--form",
                       manzoori.form("late", late), "--as", "gilgit-baltistan.wdd-deputy-secretary",
                       expect=5)
    assert "activities[0].quarter" in refused.stderr and "outside the plan's period" in refused.stderr
