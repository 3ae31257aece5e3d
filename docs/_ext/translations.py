"""Translation catalogues: extract the English messages, prune stale catalogues, and the gate.

    python docs/_ext/translations.py pot OUTDIR   # the .pot files of the current sources
    python docs/_ext/translations.py prune OUTDIR # delete .po files whose page is gone
    python docs/_ext/translations.py check        # the gate `make test` runs
    python docs/_ext/translations.py glossary     # only the glossary check, on the catalogues as they are

The messages are extracted from a scratch copy of docs/ and gallery/ with execution switched
off: quick, and the real build's generated gallery and caches are never touched.  Code and
outputs are not messages, so the result is the same as from an executed build.

The gate fails, naming each catalogue and its counts, when for any translated language
- a page has no catalogue, or a catalogue has no page any more;
- a source message is missing from its catalogue (English text changed: run `make translations`);
- a message is untranslated or fuzzy (a message that is only markup may stay empty);
- a translation dropped or changed markup that must stay verbatim (roles, code, math).
Set CUSTOMGRAD_ALLOW_UNTRANSLATED=1 to report without failing while a translation is in progress.

The glossary check (docs/locale/<lang>/GLOSSARY.md, when the language has one) reads the glossary's
table: English term(s) | translation | "not": known wrong renderings, separated by ";" | note.  For every
translated, non-fuzzy message whose English text contains a term, the translation must not use one of
the term's wrong renderings (after the right rendering is taken out of it, so "原地" is not mistaken for
part of a wrong "原地(in-place)").  A note "first use per page: X" adds: in each page's catalogue, the
first message that uses the term has X.  Roles, code, math, link targets and HTML are taken out of both
texts before matching, so `Function` as code or {class}`Function` never counts.  English terms match
whole words (plural s/es allowed), case-sensitively when they have a capital letter, longest first:
a part of a longer term ("autograd" in "custom autograd Function") is not matched again.
GLOSSARY_MODE says what a violation does: "report" (listed, the gate still passes), "fail", or "off";
`check --glossary=fail` overrides it for one run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
LOCALE = DOCS / "locale"
SKIP_ENV = "CUSTOMGRAD_ALLOW_UNTRANSLATED"
GLOSSARY_MODE = "fail"  # every catalogue follows the glossary: a new violation fails the gate

# Markup a translation must carry over unchanged: MyST and rst roles, inline code, inline math,
# and the placeholders of interface strings.
MARKUP = re.compile(
    r"\{[\w:.-]+\}`[^`]*`"  # {role}`target`
    r"|:[\w:.-]+:`[^`]*`"  # :role:`target`
    r"|``[^`]+``"  # ``code`` (rst)
    r"|`[^`]+`"  # `code` (MyST)
    r"|\$\$?[^$]+\$\$?"  # $math$
    r"|%\(\w+\)s"  # %(name)s in interface strings
)


def languages() -> list[str]:
    return sorted(p.parent.name for p in LOCALE.glob("*/LC_MESSAGES") if p.is_dir())


def extract(outdir: Path) -> None:
    """Write the .pot files of the current sources into ``outdir`` (emptied first)."""
    shutil.rmtree(outdir, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="customgrad-gettext-") as tmp:
        scratch = Path(tmp)
        ignore = shutil.ignore_patterns("auto_gallery", "locale", "jupyter_execute", "__pycache__", "*.ipynb")
        shutil.copytree(DOCS, scratch / "docs", ignore=ignore)
        if (ROOT / "gallery").is_dir():
            shutil.copytree(ROOT / "gallery", scratch / "gallery", ignore=ignore)
        cmd = [
            sys.executable, "-m", "sphinx", "-b", "gettext", "-q", "-E",
            "-c", str(ROOT), str(scratch / "docs"), str(outdir),
            "-D", "nb_execution_mode=off",  # no kernels: code and outputs are not messages
            "-D", "plot_gallery=0",  # the gallery's text blocks without running the scripts
        ]  # fmt: skip
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            sys.stderr.write(run.stdout + run.stderr)
            raise SystemExit(f"message extraction failed (exit {run.returncode}): {' '.join(cmd)}")


def catalogues(folder: Path, suffix: str) -> dict[str, Path]:
    return {p.relative_to(folder).with_suffix("").as_posix(): p for p in sorted(folder.rglob("*" + suffix))}


def prune(potdir: Path) -> None:
    """Delete each language's .po/.mo files whose page no longer has a .pot (sphinx-intl keeps them)."""
    pots = catalogues(potdir, ".pot")
    for lang in languages():
        folder = LOCALE / lang / "LC_MESSAGES"
        for name, po in catalogues(folder, ".po").items():
            if name not in pots:
                print(f"removed {po.relative_to(ROOT)}: its page is gone")
                po.unlink()
                po.with_suffix(".mo").unlink(missing_ok=True)
        for sub in sorted((p for p in folder.rglob("*") if p.is_dir()), reverse=True):
            if not any(sub.iterdir()):
                sub.rmdir()


def read(path: Path):
    with open(path, "rb") as f:
        return read_po(f)


TITLED = re.compile(r"^(\{[\w:.-]+\}|:[\w:.-]+:)`.*<([^<>]+)>`$", re.S)


def markup(text: str) -> Counter:
    """The markup tokens of a message; a role with a title counts by its target only."""
    return Counter(TITLED.sub(r"\1`<\2>`", token) for token in MARKUP.findall(text))


def needs_translation(msgid: str) -> bool:
    """False for a message that is only markup (``:doc:`/page```): it reads the same in every language."""
    return bool(re.search(r"[^\W\d_]", MARKUP.sub("", msgid)))


def markup_changed(msgid: str, msgstr: str) -> bool:
    return markup(msgid) != markup(msgstr)


# --- glossary ------------------------------------------------------------------------------------

# Besides MARKUP: link targets ("[text](target)" keeps its text), bare URLs, HTML tags, substitutions.
NOT_PROSE = re.compile(r"\]\([^)]*\)|<https?://[^>]*>|https?://\S+|</?[A-Za-z][^>]*>|\|[\w -]+\|")


def prose(text: str) -> str:
    """The text of a message without the parts that are not prose (roles, code, math, link targets)."""
    return NOT_PROSE.sub(lambda m: "](" if m.group().startswith("](") else " ", MARKUP.sub(" ", text))


class Term:
    """One row of the glossary table."""

    def __init__(self, english: str, chinese: str, wrong: str, note: str, line: int):
        self.label = english
        self.chinese = chinese
        self.line = line
        # "twin / drop-in twin (of X)": the English forms, without what is in brackets.
        self.english = [e for e in (re.sub(r"\s*\([^)]*\)", "", part).strip() for part in english.split(" / ")) if e]
        # The right renderings: each " / " part as written (markup taken out) and its part before "（".
        right = []
        for part in chinese.split(" / "):
            for form in (prose(part).replace("（ ）", "").strip(), part.split("（")[0].strip()):
                for piece in form.split(" X "):  # "可直接替换 X 的对应实现"
                    if piece and piece not in right:
                        right.append(piece)
        self.right = sorted(right, key=len, reverse=True)
        self.wrong = [w.strip() for w in wrong.split(";") if w.strip()]
        first = re.search(r"first use per page:\s*([^;]+)", note)
        self.first = first.group(1).strip() if first else None
        self.patterns = [
            re.compile(
                r"(?<![\w.-])" + re.escape(e).replace(r"\ ", r"\s+") + r"(?:e?s)?(?![\w-])",
                0 if any(c.isupper() for c in e) else re.IGNORECASE,
            )
            for e in self.english
        ]

    def wrong_used(self, translation: str) -> list[str]:
        """The wrong renderings in a translation's prose, once the right ones are taken out."""
        text = translation
        for form in self.right:
            text = text.replace(form, " ")
        found = []
        for wrong in self.wrong:
            # A wrong rendering that holds a right one ("先从一个问题开始") is looked for in the whole text.
            where = translation if any(form in wrong for form in self.right) else text
            if re.fullmatch(r"[\x00-\x7f]+", wrong):  # Latin: a whole word ("Function", not "Functional")
                hit = re.search(r"(?<![A-Za-z_.])" + re.escape(wrong) + r"(?:e?s)?(?![A-Za-z_])", where)
            else:
                hit = wrong in where
            if hit:
                found.append(wrong)
        return found


def read_glossary(path: Path) -> list[Term]:
    """The terms of a GLOSSARY.md table: | English | 中文 | not | note |."""
    terms = []
    header = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.startswith("|"):
            header = None if not line.strip() else header
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = [c.lower() for c in cells]
            if header[:2] != ["english", "中文"] or "not" not in header:
                raise ValueError(f"{path}:{number}: the glossary table needs the columns English | 中文 | not | note")
            continue
        if set("".join(cells)) <= set("-: "):
            continue
        row = dict(zip(header, cells))
        terms.append(Term(row["english"], row["中文"], row.get("not", ""), row.get("note", ""), number))
    return terms


def glossary_violations(terms: list[Term], name: str, messages) -> list[str]:
    """The glossary violations in one catalogue: (msgid, msgstr) pairs of translated messages, in order."""
    found = []
    seen_first = set()
    for msgid, msgstr in messages:
        english, chinese = prose(msgid), prose(msgstr)
        masked = english
        matched = []
        # Longest English forms first; each match is masked so a shorter term does not match inside it.
        forms = sorted(((len(e), i, j) for i, t in enumerate(terms) for j, e in enumerate(t.english)), reverse=True)
        for _, i, j in forms:
            pattern = terms[i].patterns[j]
            if pattern.search(masked):
                masked = pattern.sub(lambda m: "\0" * len(m.group()), masked)
                if i not in matched:
                    matched.append(i)
        short = msgid if len(msgid) <= 60 else msgid[:57] + "..."
        short = short.replace("\n", " ")
        for i in matched:
            term = terms[i]
            for wrong in term.wrong_used(chinese):
                found.append(f"{name}: msgid {short!r}: {wrong!r} for {term.label!r}: write {term.chinese!r}")
            if term.first and i not in seen_first and name not in ("sphinx", "sphinx.po"):
                seen_first.add(i)
                if term.first not in msgstr:
                    found.append(
                        f"{name}: msgid {short!r}: first use of {term.label!r} on the page: write {term.first!r}"
                    )
    return found


def check_glossary(lang: str, mode: str) -> int:
    """Print the glossary violations of a language's catalogues; 1 when there are some and mode is "fail"."""
    path = LOCALE / lang / "GLOSSARY.md"
    if mode == "off" or not path.is_file():
        return 0
    terms = read_glossary(path)
    folder = LOCALE / lang / "LC_MESSAGES"
    found = []
    for name, po in catalogues(folder, ".po").items():
        messages = [(m.id, m.string) for m in read(po) if m.id and m.string and not m.fuzzy and isinstance(m.id, str)]
        found += glossary_violations(terms, f"{name}.po", messages)
    print(f"glossary check [{lang}]: {len(terms)} terms, {len(found)} violations ({mode} mode)")
    for line in found:
        print(f"  docs/locale/{lang}/LC_MESSAGES/{line}")
    if found and mode != "fail":
        print(f"  glossary check NOT enforced (GLOSSARY_MODE = {GLOSSARY_MODE!r} in {Path(__file__).name})")
    return 1 if found and mode == "fail" else 0


def check(glossary: str = GLOSSARY_MODE) -> int:
    langs = languages()
    if not langs:
        print("translation gate: no translated language (docs/locale/<lang>/LC_MESSAGES) - nothing to check")
        return 0
    with tempfile.TemporaryDirectory(prefix="customgrad-pot-") as tmp:
        potdir = Path(tmp)
        extract(potdir)
        pots = {name: read(p) for name, p in catalogues(potdir, ".pot").items()}
    n_messages = sum(1 for cat in pots.values() for m in cat if m.id)
    problems = 0
    for lang in langs:
        folder = LOCALE / lang / "LC_MESSAGES"
        pos = catalogues(folder, ".po")
        rows = []
        totals = Counter()
        for name in sorted(set(pots) | set(pos)):
            path = f"docs/locale/{lang}/LC_MESSAGES/{name}.po"
            if name not in pos:
                count = sum(1 for m in pots[name] if m.id)
                rows.append(f"  {path}: missing ({count} messages): run `make translations`")
                totals["missing catalogues"] += 1
                totals["untranslated"] += count
                continue
            if name not in pots:
                rows.append(f"  {path}: its page is gone: run `make translations`")
                totals["stale catalogues"] += 1
                continue
            source = {m.id for m in pots[name] if m.id}
            po = {m.id: m for m in read(pos[name]) if m.id}
            counts = Counter(
                new=len(source - po.keys()),
                obsolete=len(po.keys() - source),
                untranslated=sum(1 for i in source & po.keys() if not po[i].string and needs_translation(i)),
                fuzzy=sum(1 for i in source & po.keys() if po[i].string and po[i].fuzzy),
                markup=sum(
                    1 for i in source & po.keys()
                    if po[i].string and not po[i].fuzzy and markup_changed(i, po[i].string)
                ),
            )  # fmt: skip
            counts = +counts
            if counts:
                detail = ", ".join(f"{n} {what}" for what, n in counts.items())
                rows.append(f"  {path}: {detail} (of {len(source)})")
                totals.update(counts)
        print(f"translation gate [{lang}]: {n_messages} messages in {len(pots)} catalogues")
        if rows:
            print("\n".join(rows))
            print(f"  total: " + ", ".join(f"{n} {what}" for what, n in sorted(totals.items())))
            problems += 1
        else:
            print("  all translated, none fuzzy, catalogues up to date")
        problems += check_glossary(lang, glossary)
    if problems:
        print(
            "Fix: run `make translations`, then translate every empty or fuzzy entry "
            "(remove the '#, fuzzy' line once checked) and keep roles, code and math verbatim."
        )
        if os.environ.get(SKIP_ENV) == "1":
            print(f"translation gate NOT enforced: {SKIP_ENV}=1 is set")
            return 0
        return 1
    return 0


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "pot":
        extract(Path(argv[1]).resolve())
        return 0
    if len(argv) == 2 and argv[0] == "prune":
        prune(Path(argv[1]).resolve())
        return 0
    modes = ("report", "fail", "off")
    if argv and argv[0] == "check" and all(a in [f"--glossary={m}" for m in modes] for a in argv[1:]):
        return check(argv[-1].split("=")[1] if len(argv) > 1 else GLOSSARY_MODE)
    if argv and argv[0] == "glossary" and all(a in [f"--glossary={m}" for m in modes] for a in argv[1:]):
        mode = argv[-1].split("=")[1] if len(argv) > 1 else GLOSSARY_MODE
        return max((check_glossary(lang, mode) for lang in languages()), default=0)
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
