"""The formulas in the API reference: printed by sympy from each op module's formulas(), after the checks pass.

The site's autodoc hook (docs/_ext/site_autodoc.py) is called directly here, as the build calls it;
a broken copy of the library shows that both ``make test`` and ``make html`` would fail.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap
import time

import pytest

from customgrad import functions as fn
from customgrad import symbolic as S
from customgrad.ops import _docs

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _site_autodoc():
    spec = importlib.util.spec_from_file_location("site_autodoc", ROOT / "docs" / "_ext" / "site_autodoc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _hook_lines(function_cls):
    lines = function_cls.__doc__.splitlines()
    lines = textwrap.dedent("\n".join(lines[1:])).splitlines()  # as autodoc hands them: dedented
    _site_autodoc().function_formulas(None, "class", f"customgrad.functions.{function_cls.__name__}",
                                      function_cls, {}, lines)
    return lines


def test_help_shows_where_the_formula_is_and_the_site_prints_it():
    assert "(forward: printed by sympy from ``formulas()`` in ``customgrad.ops.relu`` in the API reference.)" \
        in fn.ReLUFunction.__doc__
    text = "\n".join(_hook_lines(fn.ReLUFunction))
    assert "printed by sympy" not in text
    assert r"y = f(x) = \begin{cases} 0 & x \leq 0 \\ x & \text{otherwise} \end{cases}" in text
    assert (r"\frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}\, f'(x), \qquad "
            r"f'(x) = \begin{cases} 0 & x \leq 0 \\ 1 & \text{otherwise} \end{cases}") in text
    prelu = _hook_lines(fn.PReLUFunction)
    assert r"\frac{\partial f}{\partial a} = \begin{cases} 0 & x > 0 \\ x & \text{otherwise} \end{cases}" in "\n".join(prelu)
    assert "\n".join(prelu).count(".. math::") == 3  # one display line each: f; f'; df/da
    linear = "\n".join(_hook_lines(fn.LinearFunction))
    assert S.linear_rule().latex() in linear and S.linear_rule().forward_latex() in linear  # both printed
    assert r"W^\top" not in linear.split("Backward:")[0]  # no typed forward left


def test_every_function_docstring_gets_its_printed_formulas_and_they_render_in_katex():
    from test_docstrings import docutils_core
    from test_symbolic import _katex_errors

    blocks = []
    for f in _docs.function_classes():
        math = _docs.formula_math(f, check=False)
        blocks += [line.strip() for block in math.values() for line in block.splitlines()
                   if line.strip() and line.strip() != ".. math::"]
        doc = "\n".join(_hook_lines(f))
        assert "printed by sympy" not in doc, f
        from docutils import nodes

        tree = docutils_core.publish_doctree(doc, settings_overrides={"report_level": 5, "halt_level": 5})
        assert not [m for m in tree.findall(nodes.system_message) if m["level"] >= 2], f
    assert _katex_errors(blocks) == []


def test_the_checks_behind_the_docs_take_about_a_second():
    _docs.formula_math(fn.ReLUFunction)  # sympy imported, once
    start = time.perf_counter()
    for f in _docs.function_classes():
        _docs.run_checks(f)
    elapsed = time.perf_counter() - start
    assert elapsed < 8.0, f"the checks of {len(_docs.function_classes())} Functions took {elapsed:.2f} s"


# --- a broken copy: make test and make html both fail, naming the op and the point ---


def _broken_copy(tmp_path, path, old, new):
    shutil.copytree(ROOT / "customgrad", tmp_path / "customgrad", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "tests", tmp_path / "tests", ignore=shutil.ignore_patterns("__pycache__", "site"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / path
    text = target.read_text()
    assert text.count(old) == 1, old
    target.write_text(text.replace(old, new))
    return tmp_path


def _run(tmp, code_or_args):
    env = {**os.environ, "PYTHONPATH": str(tmp)}
    return subprocess.run([sys.executable, *code_or_args], cwd=tmp, env=env, capture_output=True, text=True)


def test_a_sign_flipped_softplus_backward_fails_the_tests_and_the_docs_build(tmp_path):
    tmp = _broken_copy(tmp_path, "customgrad/ops/softplus.py",
                       "return chain(grad_output, _slope(input, ctx.beta, ctx.threshold)), None, None",
                       "return chain(grad_output, _slope(input, ctx.beta, ctx.threshold).neg()), None, None")
    done = _run(tmp, ["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_symbolic.py",
                      "-k", "agrees_with_sympy and softplus"])
    assert done.returncode == 1, done.stdout[-2000:]
    assert done.stdout.count("FAILED tests/test_symbolic.py::test_function_agrees_with_sympy[softplus-") == 5
    assert "backward at x = -1.0: implemented -0.13447071068499755, sympy 0.13447071068499755" in done.stdout
    code = ("import customgrad, sys; assert customgrad.__file__.startswith(sys.argv[1]), customgrad.__file__\n"
            "import importlib.util, textwrap\n"
            f"spec = importlib.util.spec_from_file_location('h', {str(ROOT / 'docs/_ext/site_autodoc.py')!r})\n"
            "h = importlib.util.module_from_spec(spec); spec.loader.exec_module(h)\n"
            "from customgrad.functions import SoftplusFunction as F\n"
            "lines = textwrap.dedent(F.__doc__).splitlines()\n"
            "h.function_formulas(None, 'class', 'customgrad.functions.SoftplusFunction', F, {}, lines)\n")
    done = _run(tmp, ["-c", code, str(tmp)])
    assert done.returncode == 1
    assert "sphinx.errors.ExtensionError" in done.stderr
    assert "customgrad.functions.SoftplusFunction: the code disagrees with its sympy formula" in done.stderr
    assert "SoftplusFunction (softplus, (1.0, 20.0)): softplus" in done.stderr
    assert "backward at x = -1.0: implemented -0.13447071068499755, sympy 0.13447071068499755" in done.stderr


def test_relu_with_another_kink_convention_fails_at_the_kink_only(tmp_path):
    """The formula says relu'(0) = 1 (x < 0 for the zero branch), the code 0: only x = 0 disagrees."""
    tmp = _broken_copy(tmp_path, "customgrad/ops/relu.py", "sympy.Piecewise((0, x <= 0), (x, True))",
                       "sympy.Piecewise((0, x < 0), (x, True))")
    done = _run(tmp, ["-c", "from customgrad.ops import _docs; from customgrad.functions import ReLUFunction as F; "
                      "_docs.formula_math(F)"])
    assert done.returncode == 1
    assert "SymbolicMismatch: ReLUFunction (relu, ()): relu with no settings: 6 disagreement(s)" in done.stderr
    for quantity in ("backward", "jvp", "double backward, grad_output"):
        for zero in ("0.0", "-0.0"):  # both signed zeros, and nowhere else
            assert f"{quantity} at x = {zero} (a kink: compared exactly): implemented" in done.stderr
