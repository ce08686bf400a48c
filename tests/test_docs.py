"""The user documentation in docs/ covers what the code exposes, and every
citation of it points at a section that exists.

* every function declared in include/zova.h has an entry in docs/c-api.md;
* every name of zova.__all__ appears in docs/python.md;
* every `zova` subcommand appears in docs/cli.md;
* every `docs/<page>.md §N` citation anywhere in the repository (and every
  `[x](page.md) §N` link inside docs/) names a page that exists and a section
  heading that page has;
* no file cites the developers' spec documents instead of docs/.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
HEADER = ROOT / "include" / "zova.h"
THIS_FILE = Path(__file__).resolve()

# Directories never scanned: version control, build outputs, caches.
SKIP_DIRS = {".git", "build", "target", "__pycache__", ".pytest_cache", ".mypy_cache", "node_modules"}
SKIP_SUFFIXES = {".so", ".a", ".o", ".pyc", ".zova", ".db", ".sqlite", ".png", ".jpg", ".gz", ".whl"}

# A section reference: "§4.13", "§ 2", and the following ", §5.1" / "-§4.10" of a list or range.
REFS = r"((?:\s*(?:,|-|–|and|or)?\s*§\s?\d+(?:\.\d+)*)*)"
APPENDIX = r"(?:\s*,?\s*Appendix\s+([A-Z]))?"
CITATION = re.compile(r"docs/([A-Za-z0-9_-]+)\.md" + REFS + APPENDIX)
LOCAL_LINK = re.compile(r"\]\(([A-Za-z0-9_-]+)\.md\)" + REFS + APPENDIX)
SECTION = re.compile(r"§\s?(\d+(?:\.\d+)*)")
HEADING = re.compile(r"^#{1,6}\s+(?:Appendix\s+([A-Z])\b|(\d+(?:\.\d+)*)\.?(?:\s|$))", re.M)


def header_functions() -> list[str]:
    """Every function declared in the header (a declaration may span lines:
    the cancellation functions put the return type on a line of its own)."""
    text = re.sub(r"/\*.*?\*/", "", HEADER.read_text(), flags=re.S)
    return re.findall(r"(?<![\w])(zova_\w+)\s*\([^;{}()]*\)\s*;", text)


def doc(page: str) -> str:
    return (DOCS / page).read_text(encoding="utf-8")


def sections(page: str) -> set[str]:
    found = set()
    for appendix, number in HEADING.findall(doc(page)):
        found.add(f"Appendix {appendix}" if appendix else number)
    return found


def repository_files():
    """Every text file of the working tree (tracked or not), outside SKIP_DIRS."""
    for directory, subdirs, files in os.walk(ROOT):
        subdirs[:] = sorted(d for d in subdirs if d not in SKIP_DIRS and not d.endswith(".egg-info"))
        for name in sorted(files):
            path = Path(directory) / name
            if path.suffix in SKIP_SUFFIXES or path.resolve() == THIS_FILE:
                continue
            try:
                data = path.read_bytes()
            except OSError:
                continue
            if b"\0" in data[:8192]:
                continue
            yield path, data.decode("utf-8", errors="replace")


def where(path: Path, text: str, offset: int) -> str:
    return f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, offset) + 1}"


def test_docs_pages_exist():
    for page in ("README.md", "file-format.md", "c-api.md", "c.md", "python.md", "cli.md", "go.md", "rust.md"):
        assert (DOCS / page).is_file(), f"docs/{page} is missing"


def test_every_header_function_has_an_entry_in_c_api():
    text = doc("c-api.md")
    functions = header_functions()
    assert len(functions) >= 98
    missing = []
    for name in functions:
        entry = re.compile(r"^(?:#{2,6}\s.*|[-*]\s+\*\*.*)(?<![\w])" + re.escape(name) + r"(?![\w])", re.M)
        if not entry.search(text):
            missing.append(name)
    assert not missing, "functions of include/zova.h without a heading in docs/c-api.md: " + ", ".join(missing)


def test_every_public_python_name_is_in_python_md():
    import zova

    text = doc("python.md")
    missing = [name for name in zova.__all__
               if not re.search(r"(?<![\w])" + re.escape(name) + r"(?![\w])", text)]
    assert not missing, "names of zova.__all__ not in docs/python.md: " + ", ".join(missing)


def test_every_cli_command_is_in_cli_md():
    from zova.cli import main

    text = doc("cli.md")
    commands = sorted(main.commands)
    assert commands
    missing = [name for name in commands if f"`{name}`" not in text]
    assert not missing, "zova commands not in docs/cli.md: " + ", ".join(missing)


def _check_citation(page: str, refs: str, appendix: str, known: dict[str, set[str] | None]) -> str | None:
    if page not in known:
        known[page] = sections(f"{page}.md") if (DOCS / f"{page}.md").is_file() else None
    have = known[page]
    if have is None:
        return f"docs/{page}.md does not exist"
    wanted = SECTION.findall(refs) + ([f"Appendix {appendix}"] if appendix else [])
    absent = [ref for ref in wanted if ref not in have]
    if absent:
        return f"docs/{page}.md has no section " + ", ".join(absent)
    return None


def test_every_docs_citation_names_an_existing_section():
    known: dict[str, set[str] | None] = {}
    bad = []
    for path, text in repository_files():
        patterns = [CITATION]
        if path.parent == DOCS and path.suffix == ".md":
            patterns.append(LOCAL_LINK)
        for pattern in patterns:
            for match in pattern.finditer(text):
                problem = _check_citation(match.group(1), match.group(2), match.group(3), known)
                if problem:
                    bad.append(f"{where(path, text, match.start())}: {match.group(0).strip()!r}: {problem}")
    assert not bad, "citations of docs/ that point nowhere:\n" + "\n".join(bad)


SPEC_CITATION = re.compile(
    r"shared/spec"
    r"|\bc-abi\b"
    r"|cli-and-bindings"
    r"|(?<!docs/)file-format(?: [0-9§]|\.md)"
)


def _spec_citations() -> list[str]:
    found = []
    for path, text in repository_files():
        in_docs = path.parent == DOCS
        for match in SPEC_CITATION.finditer(text):
            if in_docs and match.group(0) == "file-format.md":
                before = text[max(0, match.start() - 2):match.start()]
                if before.endswith(("(", "[")):
                    continue   # a docs page linking its sibling page
            line_start = text.rfind("\n", 0, match.start()) + 1
            line_end = text.find("\n", match.start())
            line = text[line_start:line_end if line_end >= 0 else None].strip()
            found.append(f"{where(path, text, match.start())}: {line[:120]}")
    return found


def test_nothing_cites_the_spec_documents():
    """Source comments cite docs/<page>.md §N, never the developers' spec
    (c-abi, cli-and-bindings, file-format documents or their directory)."""
    found = _spec_citations()
    assert not found, (f"{len(found)} citations of the spec instead of docs/ "
                       "(rewrite them to docs/c-api.md, docs/file-format.md, docs/cli.md, docs/python.md, "
                       "docs/go.md or docs/rust.md with the same section number):\n" + "\n".join(found))


@pytest.mark.parametrize("page", ["c-api.md", "file-format.md", "cli.md", "python.md", "go.md", "rust.md"])
def test_section_numbers_are_unique(page):
    numbers = [appendix or number for appendix, number in HEADING.findall(doc(page))]
    duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
    assert not duplicates, f"docs/{page}: section numbers used twice: {duplicates}"
