"""Translation catalogues: extract the English messages, prune stale catalogues, and the gate.

    python docs/_ext/translations.py pot OUTDIR   # the .pot files of the current sources
    python docs/_ext/translations.py prune OUTDIR # delete .po files whose page is gone
    python docs/_ext/translations.py check        # the gate `make test` runs

The messages are extracted from a scratch copy of docs/ and gallery/ with execution switched
off: quick, and the real build's generated gallery and caches are never touched.  Code and
outputs are not messages, so the result is the same as from an executed build.

The gate fails, naming each catalogue and its counts, when for any translated language
- a page has no catalogue, or a catalogue has no page any more;
- a source message is missing from its catalogue (English text changed: run `make translations`);
- a message is untranslated or fuzzy (a message that is only markup may stay empty);
- a translation dropped or changed markup that must stay verbatim (roles, code, math).
Set CUSTOMGRAD_ALLOW_UNTRANSLATED=1 to report without failing while a translation is in progress.
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


def check() -> int:
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
    if argv == ["check"]:
        return check()
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
