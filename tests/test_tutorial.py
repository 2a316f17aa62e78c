"""docs/adding-a-province.md works as written: its shell blocks, taken from the page, run
one after the other in a fresh folder, and each command prints what the page shows.

Step 0 (clone and install Manzoori, a new terminal) is what this test's own virtual
environment stands for; the blocks from step 1 on run unchanged but for pip: a `pip
install` of the scaffolded package goes into a folder of its own, offline (as in
tests/test_scaffold.py), so that the suite's environment stays as it was, and `pip wheel`
builds offline. Outputs are compared after normalising what changes from run to run: the
tutorial folder's path
(the page shows /home/you/gb-tutorial), timings, the year in references and the time
in tables. Tables are compared by their words, so that column widths may change.

`python -m tests.test_tutorial` prints each command with what it printed today, to
update the page after a change to the product."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from engine.clock import utcnow

PAGE = Path(__file__).parent.parent / "docs" / "adding-a-province.md"
SHOWN_FOLDER = "/home/you/gb-tutorial"
BOX = "│┃┏┓┗┛━┳┻╇┡┩└┘┴┬─┼╋┼"


@dataclass
class Command:
    section: str
    text: str
    expected: list[str] = field(default_factory=list)
    """What the page shows it printing, `[exit N]` included."""
    shown: bool = True
    """False for an `sh` block, run as one script, whose output the page does not show."""

    @property
    def exit_code(self) -> int:
        for line in self.expected:
            if match := re.fullmatch(r"\[exit (\d+)\]", line.strip()):
                return int(match[1])
        return 0

    @property
    def output(self) -> list[str]:
        shown = [line for line in self.expected if not re.fullmatch(r"\[exit \d+\]", line.strip())]
        while shown and not shown[-1].strip():
            shown.pop()
        return shown


def commands(page: str) -> list[Command]:
    """The page's shell commands from step 1 on: each `$ ` line of a `console` block (with
    the lines it printed), and each `sh` block as one script."""
    found: list[Command] = []
    section = ""
    lines = iter(page.splitlines())
    for line in lines:
        if line.startswith("## "):
            section = line[3:]
        fence = re.fullmatch(r"```(console|sh)", line)
        if not fence:
            continue
        block = []
        for inner in lines:
            if inner.startswith("```"):
                break
            block.append(inner)
        if section.startswith("0."):
            continue
        if fence[1] == "sh":
            found.append(Command(section, "\n".join(block), shown=False))
            continue
        for inner in block:
            if inner.startswith("$ "):
                found.append(Command(section, inner[2:]))
            elif found and found[-1].text.endswith("\\"):
                found[-1].text += "\n" + inner
            elif found and found[-1].shown:
                found[-1].expected.append(inner)
    return found


class Tutorial:
    """A fresh folder, with Manzoori on the path of the commands run in it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.site = folder / "site"
        self.env = {**os.environ, "COLUMNS": "100", "PYTHONUNBUFFERED": "1", "TERM": "dumb",
                    "MANZOORI_HOME": str(folder / "home"),
                    "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
        for name in ("NO_COLOR", "FORCE_COLOR", "MANZOORI_DATABASE_URL", "PYTHONPATH"):
            self.env.pop(name, None)

    def run(self, command: Command) -> subprocess.CompletedProcess[str]:
        text = command.text
        if text.startswith("pip install "):
            # Into a folder of its own, offline: the suite's environment stays as it was.
            arguments = [word for word in text.split()[2:] if word != "-q"]
            text = (f"python -m pip install -q --no-deps --no-build-isolation --no-index "
                    f"--target {self.site} {' '.join(arguments)}")
        elif text.startswith("pip wheel "):
            text = "python -m pip wheel --no-build-isolation --no-index " + text.removeprefix("pip wheel ")
        said = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", text], cwd=self.folder,
                              env=self.env, capture_output=False, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=600)
        # An editable install leaves a .pth file, which PYTHONPATH does not read: add its paths.
        paths = [str(self.site)] + [line for pth in self.site.glob("*.pth")
                                    for line in pth.read_text().splitlines() if line.startswith("/")]
        self.env["PYTHONPATH"] = os.pathsep.join(paths)
        return said


def normalised(text: str, folder: Path) -> list[str]:
    text = text.replace(str(folder), SHOWN_FOLDER)
    text = re.sub(r"in \d+(\.\d+)?s\b", "in Ns", text)
    text = re.sub(r"(NCSW|GB|PJ)-(WP|JR|IPA)-\d{4}-", r"\1-\2-YEAR-", text)
    return [" ".join(line.split()) for line in text.strip("\n").splitlines()]


def words(lines: list[str]) -> Counter[str]:
    """A table's words, without its rules, cut-off words and the times of day in it."""
    text = " ".join(lines).translate({ord(c): " " for c in BOX})
    return Counter(word for word in text.split()
                   if "…" not in word and not re.fullmatch(r"\d{4}-\d\d-\d\d|\d\d:\d\d", word))


def differences(command: Command, printed: str, folder: Path) -> list[str]:
    expected = normalised("\n".join(command.output), folder)
    actual = normalised(printed, folder)
    if any(set(line) & set(BOX) for line in expected):
        # Words cut off in one table may show in full in the other.
        cut = [word[:-1] for line in expected + actual for word in line.split() if word.endswith("…")]
        page, run = words(expected), words(actual)
        for word in list(page | run):
            if any(word.startswith(prefix) for prefix in cut):
                page.pop(word, None), run.pop(word, None)
        if page == run:
            return []
        return [f"page only: {sorted((page - run).elements())}",
                f"printed only: {sorted((run - page).elements())}"]
    # Lines wrapped at another place are the same text.
    return [] if " ".join(expected) == " ".join(actual) else ["page:", *expected, "printed:", *actual]


def walk(folder: Path) -> list[tuple[Command, subprocess.CompletedProcess[str], float]]:
    tutorial = Tutorial(folder)
    page = PAGE.read_text(encoding="utf-8").replace("-JR-2026-", f"-JR-{utcnow().year}-")
    ran = []
    for command in commands(page):
        start = time.monotonic()
        said = tutorial.run(command)
        ran.append((command, said, time.monotonic() - start))
        if said.returncode != command.exit_code:
            break
    return ran


@pytest.fixture
def short_folder() -> Iterator[Path]:
    """A folder with a path about as long as the page's /home/you/gb-tutorial: Rich folds a
    line longer than the terminal inside a word, so a long path would print differently."""
    folder = Path(tempfile.mkdtemp(prefix="gb-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow  # a scaffold, an install, the package's tests and ~20 commands: about a minute
def test_the_tutorial_runs_as_written_and_prints_what_the_page_shows(short_folder: Path) -> None:
    folder = short_folder / "gb-tutorial"
    folder.mkdir()
    expected = commands(PAGE.read_text(encoding="utf-8"))
    assert len(expected) > 20 and any("sign" in c.text for c in expected)

    ran = walk(folder)

    assert len(ran) == len(expected), "the tutorial stopped early"
    for command, said, _ in ran:
        assert said.returncode == command.exit_code, (command.text, said.stdout)
        if command.shown:
            assert differences(command, said.stdout, folder) == [], command.text


def test_the_page_is_read_as_commands_and_a_drifted_output_is_caught() -> None:
    found = commands(PAGE.read_text(encoding="utf-8"))
    assert not any(c.section.startswith("0.") for c in found), "step 0 is the test's own venv"
    assert found[0].text == "manzoori plugin new gilgit-baltistan"
    [faulty] = [c for c in found if c.exit_code == 7]
    assert faulty.text == "manzoori provinces --check" and faulty.output[-1].startswith("'approval'")
    folder = Path("/tmp/gb-x/gb-tutorial")
    init = Command("5.", "manzoori init --samples", [
        "Database ready at sqlite:////home/you/gb-tutorial/home/manzoori.db; 54 officers added."])
    assert differences(init, f"Database ready at sqlite:///{folder}/home/manzoori.db; 54\n"
                             "officers added.\n", folder) == []
    assert differences(init, f"Database ready at sqlite:///{folder}/home/manzoori.db; 55 "
                             "officers added.\n", folder) != []
    table = Command("3.", "manzoori provinces", ["┃ code ┃ contract ┃", "│ punjab │ 1.1 │",
                                                 "│ gilgit-balt… │ 1.1 │"])
    assert differences(table, "┃ code     ┃ contract ┃\n│ punjab   │ 1.1      │\n"
                              "│ gilgit-baltistan │ 1.1 │\n", folder) == []
    assert differences(table, "┃ code ┃ contract ┃\n│ punjab │ 1.2 │\n│ gilgit-baltistan │ 1.1 │\n",
                       folder) != []


def test_the_tutorial_cites_no_path_of_a_machine_and_no_shared_folder() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert "../shared" not in page and "context/" not in page
    assert "/work/" not in page and "/tmp/" not in page
    assert "passphrase-file ~/" not in page, "the tutorial's own MANZOORI_HOME holds its passphrase"
    assert 'passphrase-file "$MANZOORI_HOME/sample-passphrase"' in page


def update(page: str, ran: list[tuple[Command, subprocess.CompletedProcess[str], float]],
           folder: Path) -> str:
    """The page with each command's output shown as printed in `ran` (in the page's order)."""
    printed = iter(ran)
    lines, result, section, fence = page.splitlines(), [], "", None
    index = 0
    while index < len(lines):
        line = lines[index]
        result.append(line)
        index += 1
        if line.startswith("## "):
            section = line[3:]
        if line.startswith("```"):
            fence = None if fence else line[3:]
        if fence != "console" or section.startswith("0.") or not line.startswith("$ "):
            continue
        while line.endswith("\\"):
            line = lines[index]
            result.append(line)
            index += 1
        shown = []
        while index < len(lines) and not lines[index].startswith(("$ ", "```")):
            shown.append(lines[index])
            index += 1
        gap = 0
        while shown and not shown[-1].strip():
            shown.pop()
            gap += 1
        run = next(printed, None)
        if run is None:
            result += shown
            continue
        _, said, _ = run
        output = said.stdout.replace(str(folder), SHOWN_FOLDER).rstrip("\n")
        result += [row.rstrip() for row in output.splitlines()] if output else []
        if said.returncode:
            result.append(f"[exit {said.returncode}]")
        result += [""] * gap
    return "\n".join(result) + "\n"


if __name__ == "__main__":
    # python -m tests.test_tutorial FOLDER [--update]: runs the page in FOLDER/gb-tutorial (left
    # for a look afterwards), prints each command with what it printed, and with --update
    # writes that into the page (check `git diff docs/` before committing it).
    where = Path(sys.argv[1]).resolve() / "gb-tutorial"
    where.mkdir(parents=True)
    walked = walk(where)
    for command, said, seconds in walked:
        print(f"## {command.section} ({seconds:.1f} s, exit {said.returncode})")
        print("$ " + command.text)
        print(said.stdout.replace(str(where), SHOWN_FOLDER))
    if "--update" in sys.argv:
        PAGE.write_text(update(PAGE.read_text(encoding="utf-8"), [r for r in walked if r[0].shown], where),
                        encoding="utf-8")
