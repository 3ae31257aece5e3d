"""Mutation testing of every backward and jvp formula in customgrad/ops (``make mutation``).

Why a driver of our own and not mutmut or cosmic-ray: see README, "Mutation testing".  In short,
neither can restrict mutations to the ``backward``/``jvp`` staticmethods and the helpers they
call without editing the op modules (pragmas), neither has the operators that matter for a
derivative (a saved tensor swapped, a reduction axis changed, ``torch.where`` branches swapped,
``clamp(max=)`` moved to ``clamp(min=)``), and both would spend most of their time on forward
passes, docstrings and registrations.

What is mutated
    In each ``customgrad/ops/<op>.py`` (not the ``_private`` helpers): the ``backward`` and
    ``jvp`` staticmethods of every class that defines them, and every module-level function of
    the same module they call, transitively (``_slope``, ``silu_grad``, ``_normalize_backward``,
    ``_terms`` ...).  ``forward`` and ``setup_context`` are left alone.

Operators (one change per mutant)
    sign      ``a + b`` <-> ``a - b``, ``-a`` -> ``a``, ``.add`` <-> ``.sub``, ``.neg_()`` dropped
    factor    ``a * b`` -> ``a`` and -> ``b``; ``a / b`` -> ``a``; ``a * b`` <-> ``a / b``
    term      ``a + b`` / ``a - b`` -> ``a`` and -> ``b``
    kink      ``>`` <-> ``>=``, ``<`` <-> ``<=``, ``>`` <-> ``<``, ``==`` <-> ``!=`` (operators and
              ``torch.gt`` & co; ``ne`` -> ``gt`` too),
              ``clamp(max=)`` <-> ``clamp(min=)``, ``torch.where(c, a, b)`` -> ``(c, b, a)``
    saved     ``a, b = ctx.saved_tensors`` with two neighbours swapped
    axis      the dim of a reduction (sum, mean, softmax, var_mean ...): an int ``d`` -> ``d + 1``
              (0 -> 1, 1 -> 0, -1 -> 0), any other expression -> ``-1``; ``keepdim`` flipped
    constant  a number ``c`` -> ``c + 1``; ``True`` <-> ``False``

How a mutant runs
    Nothing is written to disk.  The module's source is parsed, one node changed, the module
    recompiled, and the changed function's code object put in place of the original one
    (``function.__code__``) in a forked child of a process that has torch, customgrad and pytest
    imported already; the child runs pytest on the op's tests and exits.  The worktree and the
    parent process are never modified, so Ctrl-C or a crash leaves nothing behind.

    The tests of a mutant in ``<op>.py``: ``tests/test_<op>.py``, and the items of
    ``tests/test_twins.py``, ``tests/test_fused.py`` and ``tests/test_symbolic.py`` whose parameters name the op (or a twin
    registered by it, e.g. ``cross_entropy_probs``), or whose test name does; plus the same for
    every op module that imports from ``<op>.py`` (``learned_silu`` imports ``silu_grad``).
    ``pytest -x``: the first failure kills the mutant.  Doctests are not run.

Equivalent mutants
    ``tools/mutation_equivalent.txt``: one line per mutant that no test can kill, with the op,
    the function, the source line (stripped) and the mutation, so it survives line moves::

        elu | _slope_from_output | if alpha == 1: | constant: 1 -> 2 | reason ...

Usage
    python tools/mutation.py [--sample N] [--seed S] [--ops elu,relu] [--list] [--jobs J]
    Exit status 1 if a mutant survived that is not listed as equivalent (or a listed one was
    killed, or no longer exists: the list must stay exact).
"""

from __future__ import annotations

import argparse
import ast
import copy
import dataclasses
import importlib
import json
import os
import random
import re
import signal
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OPS = ROOT / "customgrad" / "ops"
EQUIVALENT = ROOT / "tools" / "mutation_equivalent.txt"
OUT = ROOT / "_build" / "mutation"
TARGET_METHODS = ("backward", "jvp")
REDUCTIONS = {"sum", "mean", "amax", "amin", "logsumexp", "softmax", "log_softmax", "var_mean", "var", "std",
              "prod", "cumsum", "norm", "max", "min"}
TORCH_NAMESPACES = {"torch", "TF", "F"}
COMPARISONS = {"gt": ("ge", "lt"), "ge": ("gt", "le"), "lt": ("le", "gt"), "le": ("lt", "ge"), "eq": ("ne",),
               "ne": ("eq", "gt")}
SWAPS = {"add": "sub", "sub": "add", "add_": "sub_", "sub_": "add_"}


@dataclasses.dataclass(frozen=True)
class Mutant:
    op: str
    function: str  # qualified name in the module: "ELUFunction.backward", "_slope"
    site: int  # index among the mutation sites of the function
    alt: int  # index among the alternatives at that site
    operator: str
    line: int
    line_text: str
    change: str  # "a + b -> a - b"

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.op, self.function, self.line_text, f"{self.operator}: {self.change}")

    def describe(self) -> str:
        return f"{self.op} | {self.function} | {self.line_text} | {self.operator}: {self.change}"


# ----------------------------------------------------------------------------- the operators

def _alternatives(node: ast.AST) -> list[tuple[str, ast.AST]]:
    """Every mutation of ``node`` itself (not of its children), as (operator, replacement)."""
    out: list[tuple[str, ast.AST]] = []
    if isinstance(node, ast.BinOp):
        swap = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}.get(type(node.op))
        if swap is not None:
            out.append(("sign" if isinstance(node.op, (ast.Add, ast.Sub)) else "factor",
                        ast.BinOp(node.left, swap(), node.right)))
        if isinstance(node.op, ast.Mult):
            out += [("factor", node.left), ("factor", node.right)]
        elif isinstance(node.op, ast.Div):
            out.append(("factor", node.left))
        elif isinstance(node.op, (ast.Add, ast.Sub)):
            out += [("term", node.left), ("term", node.right)]
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        out.append(("sign", node.operand))
    elif isinstance(node, ast.Compare) and len(node.ops) == 1:
        for new in {ast.Gt: (ast.GtE, ast.Lt), ast.GtE: (ast.Gt, ast.LtE), ast.Lt: (ast.LtE, ast.Gt),
                    ast.LtE: (ast.Lt, ast.GtE), ast.Eq: (ast.NotEq,), ast.NotEq: (ast.Eq,)}.get(type(node.ops[0]), ()):
            out.append(("kink", ast.Compare(node.left, [new()], node.comparators)))
    elif isinstance(node, ast.Constant):
        if isinstance(node.value, bool):
            out.append(("constant", ast.Constant(not node.value)))
        elif isinstance(node.value, (int, float)):
            out.append(("constant", ast.Constant(node.value + 1)))
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        out += _call_alternatives(node)
    elif (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Tuple)
          and isinstance(node.value, ast.Attribute) and node.value.attr == "saved_tensors"):
        elts = node.targets[0].elts
        for i in range(len(elts) - 1):
            swapped = list(elts)
            swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
            out.append(("saved", ast.Assign([ast.Tuple(swapped, ast.Store())], node.value)))
    return out


def _call_alternatives(node: ast.Call) -> list[tuple[str, ast.AST]]:
    out: list[tuple[str, ast.AST]] = []
    name = node.func.attr
    owner = node.func.value
    if name in SWAPS:
        out.append(("sign", ast.Call(ast.Attribute(owner, SWAPS[name], ast.Load()), node.args, node.keywords)))
    if name in ("neg_", "neg") and not node.args and not (isinstance(owner, ast.Name) and owner.id in TORCH_NAMESPACES):
        out.append(("sign", owner))
    if name in ("clamp", "clamp_", "clip"):
        flip = {"min": "max", "max": "min"}
        if node.keywords and all(k.arg in flip for k in node.keywords):
            out.append(("kink", ast.Call(node.func, node.args, [ast.keyword(flip[k.arg], k.value) for k in node.keywords])))
    if name in COMPARISONS:
        for new in COMPARISONS[name]:
            out.append(("kink", ast.Call(ast.Attribute(owner, new, ast.Load()), node.args, node.keywords)))
    if name == "where" and len(node.args) == 3:
        c, a, b = node.args
        out.append(("kink", ast.Call(node.func, [c, b, a], node.keywords)))
    if name in REDUCTIONS:
        is_function = isinstance(owner, ast.Name) and owner.id in TORCH_NAMESPACES
        index = 1 if is_function else 0
        for k, kw in enumerate(node.keywords):
            if kw.arg == "dim":
                kws = list(node.keywords)
                kws[k] = ast.keyword("dim", _other_dim(kw.value))
                out.append(("axis", ast.Call(node.func, node.args, kws)))
            if kw.arg == "keepdim" and isinstance(kw.value, ast.Constant):
                pass  # the constant operator flips it
        if len(node.args) > index:
            args = list(node.args)
            args[index] = _other_dim(args[index])
            out.append(("axis", ast.Call(node.func, args, node.keywords)))
    return out


def _other_dim(dim: ast.AST) -> ast.AST:
    if isinstance(dim, ast.Constant) and isinstance(dim.value, int) and not isinstance(dim.value, bool):
        return ast.Constant({0: 1, 1: 0, -1: 0}.get(dim.value, dim.value + 1))
    if isinstance(dim, ast.UnaryOp) and isinstance(dim.op, ast.USub) and isinstance(dim.operand, ast.Constant):
        return ast.Constant(0)
    return ast.UnaryOp(ast.USub(), ast.Constant(1))


class _Sites(ast.NodeTransformer):
    """Walk one function; record its mutation sites, or replace the chosen one."""

    def __init__(self, target: tuple[int, int] | None = None):
        self.target = target
        self.sites: list[tuple[ast.AST, list[tuple[str, ast.AST]]]] = []
        self.replaced: tuple[ast.AST, ast.AST] | None = None

    def visit(self, node):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return node  # a docstring
        if isinstance(node, ast.arguments):
            return node  # defaults live in __defaults__, not in the code object that is swapped
        if isinstance(node, ast.keyword) and node.arg in ("dim", "inplace"):
            return node  # the axis operator covers dim; inplace=False only costs memory
        alternatives = _alternatives(node)
        index = len(self.sites)
        self.sites.append((node, alternatives))
        node = self.generic_visit(node)
        if self.target is not None and self.target[0] == index:
            _, new = alternatives[self.target[1]]
            new = copy.deepcopy(new)
            ast.copy_location(new, node)
            self.replaced = (node, new)
            return ast.fix_missing_locations(new)
        return node


# ----------------------------------------------------------------------------- what is mutated

def _module_functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    """Qualified name -> FunctionDef for the module's functions and its classes' methods."""
    out = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            out[node.name] = node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    out[f"{node.name}.{item.name}"] = item
    return out


def targets(tree: ast.Module) -> list[str]:
    """backward/jvp of every class, and the module-level functions they call, transitively."""
    functions = _module_functions(tree)
    todo = [q for q in functions if "." in q and q.split(".")[1] in TARGET_METHODS]
    seen: list[str] = []
    while todo:
        q = todo.pop(0)
        if q in seen:
            continue
        seen.append(q)
        for node in ast.walk(functions[q]):
            if isinstance(node, ast.Name) and node.id in functions and node.id not in seen:
                todo.append(node.id)
    return seen


def op_modules() -> list[str]:
    return sorted(p.stem for p in OPS.glob("*.py") if not p.stem.startswith("_"))


def _code_of(line: str) -> str:
    """The line without indentation or a trailing comment (comments change; the key should not)."""
    return line.split("  #")[0].strip()


def enumerate_mutants(ops: list[str]) -> list[Mutant]:
    mutants = []
    for op in ops:
        source = (OPS / f"{op}.py").read_text()
        lines = source.splitlines()
        tree = ast.parse(source)
        functions = _module_functions(tree)
        seen: dict[tuple[str, str, str, str], int] = {}
        for q in targets(tree):
            sites = _Sites()
            sites.visit(copy.deepcopy(functions[q]))
            for s, (node, alternatives) in enumerate(sites.sites):
                for a, (operator, new) in enumerate(alternatives):
                    before = ast.unparse(node).split("\n")[0]
                    after = ast.unparse(ast.fix_missing_locations(ast.copy_location(copy.deepcopy(new), node)))
                    after = after.split("\n")[0]
                    change = f"{before} -> {after}"
                    line_text = _code_of(lines[node.lineno - 1])
                    # The same change twice on one line (``x > 0`` and ``clamp(max=0)``): number the repeats.
                    n = seen.get((q, line_text, operator, change), 0) + 1
                    seen[(q, line_text, operator, change)] = n
                    mutants.append(Mutant(op, q, s, a, operator, node.lineno, line_text,
                                          change if n == 1 else f"{change} (#{n})"))
    return mutants


def mutated_code(mutant: Mutant):
    """The code object of ``mutant.function`` with the mutation applied."""
    path = OPS / f"{mutant.op}.py"
    tree = ast.parse(path.read_text())
    function = _module_functions(tree)[mutant.function]
    sites = _Sites((mutant.site, mutant.alt))
    new = sites.visit(function)
    assert new is function or mutant.site == 0
    assert sites.replaced is not None
    code = compile(tree, str(path), "exec")

    def find(c):
        for k in c.co_consts:
            if hasattr(k, "co_qualname"):
                if k.co_qualname == mutant.function:
                    return k
                found = find(k)
                if found is not None:
                    return found
        return None

    found = find(code)
    assert found is not None, mutant.function
    return found


def _live_function(mutant: Mutant):
    module = importlib.import_module(f"customgrad.ops.{mutant.op}")
    obj = module
    for part in mutant.function.split("."):
        obj = obj.__dict__[part] if isinstance(obj, type) else getattr(obj, part)
    return obj.__func__ if isinstance(obj, staticmethod) else obj


# ----------------------------------------------------------------------------- which tests

def dependents(op: str) -> list[str]:
    """``op`` and every op module that imports from it."""
    out = [op]
    for other in op_modules():
        if other != op and re.search(rf"^from \.{op} import", (OPS / f"{other}.py").read_text(), re.M):
            out.append(other)
    return out


def twin_names(ops: list[str]) -> set[str]:
    from customgrad.twins import TWINS
    return {n for n, t in TWINS.items() if t.function.__module__.rsplit(".", 1)[-1] in ops} | set(ops)


class _Select:
    """Which collected test items belong to an op: its own test modules and the generic tests that name it."""

    def __init__(self, ops: list[str]):
        self.own = {f"test_{op}.py" for op in ops}
        self.names = twin_names(ops)

    def _names_op(self, item) -> bool:
        params = getattr(getattr(item, "callspec", None), "params", {})
        for v in params.values():
            v = v[0] if isinstance(v, tuple) and v and isinstance(v[0], str) else v
            if isinstance(v, str) and any(v == n or v.startswith(n + "_") for n in self.names):
                return True
        if not params:
            words = getattr(item, "originalname", item.name)
            return any(re.search(rf"(^|_){n}(_|$)", words) for n in self.names)
        return False

    def __call__(self, item) -> bool:
        if item.path.name in self.own:
            return True
        return item.path.name in GENERIC and self._names_op(item)


GENERIC = ("test_twins.py", "test_symbolic.py", "test_fused.py")
_SESSION = None


def collect(ops: list[str]) -> None:
    """Collect the tests of every op once, in this process, before any fork (collection is the slow part)."""
    global _SESSION
    from _pytest.config import _prepareconfig

    files = [f"tests/test_{op}.py" for op in ops if (ROOT / "tests" / f"test_{op}.py").exists()]
    args = ["-x", "-q", "-s", "-p", "no:cacheprovider", "-p", "no:faulthandler", "-o", "addopts=", "--no-header",
            "-W", "ignore::pytest.PytestAssertRewriteWarning", *files, *(f"tests/{g}" for g in GENERIC)]
    config = _prepareconfig(args)
    config._do_configure()
    session = pytest.Session.from_config(config)
    config.hook.pytest_sessionstart(session=session)
    session.perform_collect()
    _SESSION = session


def _run_child(mutant: Mutant | None, ops: list[str], log: Path) -> int:
    """In a forked child: apply the mutant, run the op's collected tests, return pytest's exit status."""
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    if mutant is not None:
        _live_function(mutant).__code__ = mutated_code(mutant)
    session = _SESSION
    keep = _Select(ops)
    order = {"test_twins.py": 0, "test_fused.py": 1, "test_symbolic.py": 2}
    session.items = sorted((i for i in session.items if keep(i)), key=lambda i: order.get(i.path.name, 1))
    session.testscollected = len(session.items)
    if not session.items:
        return 5
    class _Failures:  # the log says which test caught the mutant, and how
        @staticmethod
        def pytest_runtest_logreport(report):
            if report.failed:
                print(f"\nFAILED {report.nodeid}\n{report.longreprtext[-3000:]}", flush=True)

    session.config.pluginmanager.register(_Failures())
    try:
        session.config.hook.pytest_runtestloop(session=session)
    except (session.Failed, session.Interrupted):  # -x: stopped at the first failure
        pass
    return 1 if session.testsfailed else 0


def start(mutant: Mutant | None, ops: list[str], log: Path) -> int:
    """Fork a child that applies ``mutant`` and runs the tests; its pid."""
    pid = os.fork()
    if pid == 0:
        status = 3
        try:
            os.setpgid(0, 0)
            status = _run_child(mutant, ops, log)
        except BaseException:  # noqa: BLE001 - a mutant that cannot even be applied counts as an error
            import traceback
            traceback.print_exc()
            status = 3
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
    return pid


def verdict_of(status: int) -> str:
    code = os.waitstatus_to_exitcode(status)
    if code < 0:  # the mutant crashed the interpreter (a jvp returning a saved output: a segfault in torch)
        return "crashed"
    return {0: "survived", 1: "killed", 5: "no tests"}.get(code, f"error (exit {code})")


def run_one(mutant: Mutant | None, ops: list[str], log: Path, timeout: float) -> tuple[str, float]:
    begin = time.monotonic()
    pid = start(mutant, ops, log)
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return verdict_of(status), time.monotonic() - begin
        if time.monotonic() > begin + timeout:
            os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return "timeout", time.monotonic() - begin
        time.sleep(0.05)


def run_many(jobs: list[tuple[Mutant | None, list[str], float]], parallel: int, name: str = "mutant"):
    """Run (mutant, ops, timeout) jobs, ``parallel`` at a time; yield (index, status, seconds, log)."""
    pending = list(enumerate(jobs))
    running: dict[int, tuple[int, float, float, Path]] = {}
    try:
        while pending or running:
            while pending and len(running) < parallel:
                i, (m, ops, timeout) = pending.pop(0)
                log = OUT / f"{name}-{i}.log"
                running[start(m, ops, log)] = (i, time.monotonic(), timeout, log)
            for pid, (i, begin, timeout, log) in list(running.items()):
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    del running[pid]
                    yield i, verdict_of(status), time.monotonic() - begin, log
                elif time.monotonic() > begin + timeout:
                    os.killpg(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    del running[pid]
                    yield i, "timeout", time.monotonic() - begin, log
            time.sleep(0.05)
    finally:  # Ctrl-C or an error: no child outlives the driver
        for pid in running:
            try:
                os.killpg(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass


def load_equivalent() -> dict[tuple[str, str, str, str], str]:
    out = {}
    if not EQUIVALENT.exists():
        return out
    for n, raw in enumerate(EQUIVALENT.read_text().splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        parts = [p.strip() for p in raw.split(" | ")]
        if len(parts) != 5:
            raise SystemExit(f"{EQUIVALENT}:{n}: expected 'op | function | line | operator: change | reason'")
        out[tuple(parts[:4])] = parts[4]
    return out


def main(argv=None) -> int:
    global OUT
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sample", type=int, default=0, help="run N mutants drawn with --seed (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ops", default="", help="comma-separated op modules (default: all)")
    parser.add_argument("--match", default="", help="only the mutants whose description contains this")
    parser.add_argument("--out", default=str(OUT), help=f"results and logs (default {OUT.relative_to(ROOT)})")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at a time (default 1)")
    parser.add_argument("--timeout", type=float, default=0, help="seconds per mutant (default: 5x the clean run)")
    args = parser.parse_args(argv)

    ops = [o for o in args.ops.split(",") if o] or op_modules()
    mutants = enumerate_mutants(ops)
    everything = mutants
    if args.match:
        mutants = [m for m in mutants if args.match in m.describe()]
    if args.sample and args.sample < len(mutants):
        mutants = sorted(random.Random(args.seed).sample(mutants, args.sample),
                         key=lambda m: (m.op, m.function, m.site, m.alt))
    if args.list:
        for m in mutants:
            print(m.describe())
        print(f"{len(mutants)} mutants", file=sys.stderr)
        return 0

    equivalent = load_equivalent()
    OUT = Path(args.out)
    OUT.mkdir(parents=True, exist_ok=True)
    # Everything a child needs, imported and collected once here, before any fork (torch single-threaded:
    # 2 shared cores).
    import torch
    torch.set_num_threads(1)
    import customgrad  # noqa: F401
    import customgrad.functional  # noqa: F401
    import customgrad.symbolic  # noqa: F401
    os.chdir(ROOT)
    collect(sorted({d for m in mutants for d in dependents(m.op)}))
    sys.stdout.flush()

    begin = time.monotonic()
    baseline: dict[str, float] = {}
    # The clean run of each op's tests: they must pass, and it sets the timeout.  Skipped for a sample
    # (CI runs make test first, and the sample must stay short) or for --match: the timeout is then 300 s.
    clean = sorted({m.op for m in mutants}) if not (args.sample or args.match) else []
    for i, status, elapsed, log in run_many([(None, dependents(op), 1800.0) for op in clean], args.jobs, "clean"):
        if status != "survived":
            print(f"the tests of {clean[i]} fail without a mutant ({status}): see {log}")
            return 2
        baseline[clean[i]] = elapsed
        print(f"# {clean[i]}: clean run of its tests {elapsed:.1f} s", flush=True)
    jobs = [(m, dependents(m.op), args.timeout or (max(60.0, 5 * baseline[m.op]) if m.op in baseline else 300.0)) for m in mutants]
    results: list[tuple[Mutant, str] | None] = [None] * len(mutants)
    counts = {"killed": 0, "survived": 0, "equivalent": 0, "equivalent but killed": 0, "error": 0}
    survivors = []
    with (OUT / "results.jsonl").open("w") as out:
        for n, (i, status, elapsed, log) in enumerate(run_many(jobs, args.jobs), 1):
            m = mutants[i]
            listed = m.key in equivalent
            if status == "survived":
                verdict = "equivalent" if listed else "survived"
                if not listed:
                    survivors.append(m)
                    log.rename(OUT / f"survivor-{i}.log")
            elif status in ("killed", "timeout", "crashed"):
                verdict = "equivalent but killed" if listed else "killed"
            else:
                verdict = "error"
                log.rename(OUT / f"error-{i}.log")
            if log.exists():
                log.unlink()
            counts[verdict] += 1
            results[i] = (m, verdict)
            out.write(json.dumps({**dataclasses.asdict(m), "status": status, "verdict": verdict,
                                  "seconds": round(elapsed, 2)}) + "\n")
            out.flush()
            print(f"[{n}/{len(mutants)}] {verdict:<10} {elapsed:5.1f}s  {m.describe()}", flush=True)
    results = [r for r in results if r is not None]
    total = time.monotonic() - begin

    seen = {m.key for m in everything}
    stale = [k for k in equivalent if k not in seen] if not (args.sample or args.ops or args.match) else []
    killable = counts["killed"] + counts["survived"] + counts["equivalent but killed"]
    print()
    print("Equivalent mutants (tools/mutation_equivalent.txt):")
    for m, verdict in results:
        if verdict == "equivalent":
            print(f"  {m.describe()}\n      -> {equivalent[m.key]}")
    print()
    print(f"mutants {len(mutants)} (of {len(everything)}), killed {counts['killed']}, survived {counts['survived']}, "
          f"equivalent {counts['equivalent']}, errors {counts['error']}, time {total:.0f} s")
    if killable:
        print(f"mutation score (killed / non-equivalent): {counts['killed'] / (counts['killed'] + counts['survived']):.1%}")
    for m in survivors:
        print(f"SURVIVED  {m.describe()}")
    for m, verdict in results:
        if verdict == "equivalent but killed":
            print(f"LISTED AS EQUIVALENT BUT KILLED  {m.describe()}")
    for k in stale:
        print(f"LISTED AS EQUIVALENT BUT NO SUCH MUTANT  {' | '.join(k)}")
    return 1 if survivors or counts["equivalent but killed"] or counts["error"] or stale else 0


if __name__ == "__main__":
    sys.exit(main())
