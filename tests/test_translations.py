"""The translation gate's glossary check (docs/_ext/translations.py): the glossary's own table, and
catalogues with right and wrong renderings of its terms."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

import translations  # noqa: E402

GLOSSARY = textwrap.dedent(
    """\
    # glossary

    | English | 中文 | not | note |
    | --- | --- | --- | --- |
    | automatic differentiation / autograd | 自动微分（autograd） | 自动求导; 自动微分(autograd) | first use per page: 自动微分（autograd） |
    | custom autograd Function | 自定义 autograd 函数 | Function | |
    | Function / autograd Function (a custom one, bare) | autograd 函数 | Function | |
    | a question to start with | 从一个问题开始 | 先从一个问题开始 | |
    | in-place / in place | 原地（in-place） | 原地(in-place); 就地 | first use per page: 原地（in-place） |
    | gradient check | 梯度检查 | 梯度校验 | `gradcheck` stays as code |
    """
)


@pytest.fixture
def terms(tmp_path):
    path = tmp_path / "GLOSSARY.md"
    path.write_text(GLOSSARY, encoding="utf-8")
    return translations.read_glossary(path)


def violations(terms, *messages, name="page"):
    return translations.glossary_violations(terms, name, list(messages))


def test_right_renderings_pass(terms):
    assert not violations(
        terms,
        ("A question to start with", "从一个问题开始"),
        ("Autograd records every operation.", "自动微分（autograd）会记录每个运算。"),
        ("Then autograd calls backward.", "然后 autograd 调用 backward。"),  # after the first use
        ("Write a custom autograd Function.", "编写一个自定义 autograd 函数。"),
        ("Every Function here is checked.", "这里的每个 autograd 函数都经过检查。"),
        ("PyTorch autograd Functions", "PyTorch autograd 函数"),  # "autograd" inside the longer term
        ("Modify it in place.", "原地（in-place）修改它。"),
    )


def test_wrong_term_fails(terms):
    found = violations(terms, ("Every Function here is checked.", "这里的每个 Function 都经过检查。"))
    assert len(found) == 1
    assert "Every Function here is checked." in found[0] and "'Function'" in found[0] and "autograd 函数" in found[0]


def test_wrong_rendering_containing_the_right_one(terms):
    found = violations(terms, ("A question to start with", "先从一个问题开始"))
    assert len(found) == 1 and "先从一个问题开始" in found[0]


def test_first_use_per_page(terms):
    found = violations(
        terms,
        ("Autograd records every operation.", "autograd 会记录每个运算。"),
        ("Then autograd calls backward.", "然后 autograd 调用 backward。"),
    )
    assert len(found) == 1 and "first use" in found[0] and "Autograd records" in found[0]
    # Each page has its own first use; the interface strings (sphinx.po) have none.
    assert len(violations(terms, ("Autograd.", "autograd。"), name="other")) == 1
    assert not violations(terms, ("Autograd.", "autograd。"), name="sphinx.po")


def test_code_roles_and_math_are_not_terms(terms):
    assert not violations(
        terms,
        ("Subclass `torch.autograd.Function`.", "继承 `torch.autograd.Function`。"),
        ("See {class}`customgrad.functions.ReLUFunction`.", "见 {class}`customgrad.functions.ReLUFunction`。"),
        ("The {func}`Function <customgrad.verify>` check.", "{func}`Function <customgrad.verify>` 检查。"),
        ("Run ``gradcheck`` on it.", "对它运行 ``gradcheck``。"),
        ("A [link](https://example.org/Function) to it.", "指向它的[链接](https://example.org/Function)。"),
        ("Math $f(\\text{Function})$ here.", "数学 $f(\\text{Function})$。"),
    )
    # ... while the same word in prose is a term
    assert len(violations(terms, ("Subclass Function.", "继承 Function。"))) == 1


def test_whole_words_and_case(terms):
    # "functional" is not "Function"; lowercase "function" is not the capitalised term
    assert not violations(
        terms,
        ("Use customgrad functional helpers.", "使用 Functional 辅助函数。"),
        ("An activation function.", "一个激活 Function。"),
    )
    # plural English forms match
    assert len(violations(terms, ("Two Functions.", "两个 Function。"))) == 1


def test_glossary_table_needs_the_not_column(tmp_path):
    path = tmp_path / "GLOSSARY.md"
    path.write_text("| English | 中文 | note |\n| --- | --- | --- |\n| tensor | 张量 | |\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not"):
        translations.read_glossary(path)


def test_the_real_glossary_parses():
    terms = translations.read_glossary(translations.LOCALE / "zh_CN" / "GLOSSARY.md")
    labels = {t.label for t in terms}
    assert "custom autograd Function" in labels and len(terms) > 40
    by_label = {t.label: t for t in terms}
    assert by_label["automatic differentiation / autograd"].first == "自动微分（autograd）"
    assert "Function" in by_label["custom autograd Function"].wrong


def write_catalogue(folder: Path, name: str, entries) -> None:
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    catalog = Catalog(locale="zh_CN")
    for msgid, msgstr in entries:
        catalog.add(msgid, msgstr)
    path = folder / f"{name}.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        write_po(f, catalog)


@pytest.mark.parametrize("mode, status", [("report", 0), ("fail", 1), ("off", 0)])
def test_modes_on_a_catalogue_with_a_wrong_term(tmp_path, monkeypatch, capsys, mode, status):
    locale = tmp_path / "locale"
    (locale / "zh_CN" / "LC_MESSAGES").mkdir(parents=True)
    (locale / "zh_CN" / "GLOSSARY.md").write_text(GLOSSARY, encoding="utf-8")
    write_catalogue(
        locale / "zh_CN" / "LC_MESSAGES",
        "tutorials/page",
        [("A question to start with", "先从一个问题开始"), ("Run a gradient check.", "运行梯度检查。")],
    )
    monkeypatch.setattr(translations, "LOCALE", locale)
    assert translations.check_glossary("zh_CN", mode) == status
    out = capsys.readouterr().out
    if mode == "off":
        assert out == ""
    else:
        assert "1 violations" in out
        assert "docs/locale/zh_CN/LC_MESSAGES/tutorials/page.po: msgid 'A question to start with'" in out
        assert "'先从一个问题开始'" in out and "'从一个问题开始'" in out


def test_command_line_modes(monkeypatch):
    calls = []
    monkeypatch.setattr(translations, "check", lambda mode=translations.GLOSSARY_MODE: calls.append(mode) or 0)
    assert translations.main(["check"]) == 0 and translations.main(["check", "--glossary=fail"]) == 0
    assert calls == [translations.GLOSSARY_MODE, "fail"]
    assert translations.main(["check", "--glossary=maybe"]) == 2
