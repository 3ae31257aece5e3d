"""What :func:`customgrad.verify` found: one :class:`Check` per check, gathered in a :class:`VerifyReport`.

The checks themselves are defined once, in :data:`REGISTRY` (filled by :mod:`customgrad.verify`):
each with its name and the question it answers.  The report, the text table, the HTML view and
the :class:`VerifyMatrix` of many reports all read their columns from it.

Example:
    >>> report = VerifyReport("MyFunction", {"gradcheck": Check("gradcheck", "passed", "float64")})
    >>> report.ok, str(report["gradcheck"])
    (True, 'gradcheck: passed (float64)')
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Callable, Iterator

__all__ = ["CHECKS", "REGISTRY", "CheckSpec", "capabilities", "Check", "VerifyReport", "VerifyMatrix", "VerificationError"]

PASSED, FAILED, UNSUPPORTED, WARNING, NA = "passed", "failed", "unsupported", "warning", "n/a"
STATUSES = (PASSED, FAILED, UNSUPPORTED, WARNING, NA)
_WORDS = {PASSED: "passed", FAILED: "failed", UNSUPPORTED: "unsupported", WARNING: "warning(s)",
          NA: "not applicable"}

_SYMBOL = {PASSED: "✓", FAILED: "✗", UNSUPPORTED: "○", WARNING: "!", NA: "–"}
_COLOUR = {PASSED: "#d8f0d8", FAILED: "#f8d0d0", UNSUPPORTED: "#f0f0d0", WARNING: "#f8e8c8", NA: "#eeeeee"}


@dataclass(frozen=True)
class CheckSpec:
    """One check, as defined once in :data:`REGISTRY`.

    Attributes:
        name: the check's name, as reports index it.
        question: what the check asks, in one line.
        run: ``run(state) -> (status, detail)``, the check itself.
        applies: ``applies(state) -> reason``: ``None`` when the check applies, else why it does not.
        needs_backward: the check cannot run when the Function's backward raises.
        capability: for a check of an optional capability, the name ``require=`` knows it by
            (``"forward_ad"``, ``"vmap"``, ...): without it the check ends ``unsupported``, not ``failed``.
    """

    name: str
    question: str
    run: Callable
    applies: Callable | None = None
    needs_backward: bool = False
    capability: str | None = None


#: Every check, in report order: name -> :class:`CheckSpec`.
REGISTRY: dict[str, CheckSpec] = {}


class _Questions(Mapping):
    """Check name -> the question it answers, read from :data:`REGISTRY`."""

    def __getitem__(self, name: str) -> str:
        return REGISTRY[name].question

    def __iter__(self) -> Iterator[str]:
        return iter(REGISTRY)

    def __len__(self) -> int:
        return len(REGISTRY)

    def __repr__(self) -> str:
        return repr(dict(self))


#: Every check, in report order, with the question it answers (a read-only view of :data:`REGISTRY`).
CHECKS: Mapping[str, str] = _Questions()


def capabilities() -> dict[str, str]:
    """Capability name -> the check that tests it, for ``require=``."""
    return {spec.capability: spec.name for spec in REGISTRY.values() if spec.capability}


class VerificationError(AssertionError):
    """Raised by ``verify(..., strict=True)`` and :meth:`VerifyReport.raise_if_failed`."""


@dataclass(frozen=True)
class Check:
    """The result of one check.

    ``status`` is one of:

    - ``'passed'``;
    - ``'failed'``: the Function is wrong (gradients, in-place or ctx rules, non-finite gradients);
    - ``'unsupported'``: a capability the Function does not offer (forward AD, vmap, double backward,
      compile in one graph); the detail says how to add it;
    - ``'warning'``: legal but costly, or different from the reference only where the reference
      itself is nan/inf;
    - ``'n/a'``: the check does not apply (the detail says why).
    """

    name: str
    status: str
    detail: str = ""

    @property
    def passed(self) -> bool:
        """``True`` when the check passed."""
        return self.status == PASSED

    @property
    def failed(self) -> bool:
        """``True`` when the check found a mistake."""
        return self.status == FAILED

    def __str__(self) -> str:
        return f"{self.name}: {self.status}" + (f" ({self.detail})" if self.detail else "")


@dataclass
class VerifyReport:
    """All checks of one :func:`~customgrad.verify` call: index it by check name, print it, or show it in a notebook.

    Attributes:
        name: what was verified.
        checks: check name -> :class:`Check`, in :data:`REGISTRY` order.
        saved_tensors: tensors one forward kept for backward (``None`` if it did not run).
        saved_bytes: their bytes, a tensor saved twice counted once.
        reference_saved_bytes: the same for the reference, when one was given.
        graph_breaks: distinct reasons torch.compile gave for breaking the graph.
    """

    name: str
    checks: dict[str, Check] = field(default_factory=dict)
    saved_tensors: int | None = None
    saved_bytes: int | None = None
    reference_saved_bytes: int | None = None
    graph_breaks: list[str] = field(default_factory=list)

    def __getitem__(self, name: str) -> Check:
        return self.checks[name]

    def __iter__(self):
        return iter(self.checks.values())

    @property
    def ok(self) -> bool:
        """``True`` when no check failed."""
        return not self.failures

    @property
    def failures(self) -> list[Check]:
        """The checks that failed."""
        return [c for c in self if c.failed]

    @property
    def unsupported(self) -> list[Check]:
        """The capabilities the Function does not offer, each with how to add it."""
        return [c for c in self if c.status == UNSUPPORTED]

    @property
    def warnings(self) -> list[Check]:
        """The checks that passed with a cost or a caveat."""
        return [c for c in self if c.status == WARNING]

    def counts(self) -> dict[str, int]:
        """How many checks ended in each status."""
        return {s: sum(c.status == s for c in self) for s in STATUSES}

    def summary(self) -> str:
        """One line: the name and how many checks ended in each status."""
        counts = self.counts()
        parts = [f"{counts[s]} {_WORDS[s]}" for s in STATUSES if counts[s] or s in (PASSED, FAILED, NA)]
        return f"verify({self.name}): " + ", ".join(parts)

    def raise_if_failed(self, require: tuple[str, ...] = ()) -> "VerifyReport":
        """Raise :class:`VerificationError` if a check failed or a required capability is missing.

        Args:
            require: capabilities (``"forward_ad"``, ``"vmap"``, ``"double_backward"``, ``"compile"``,
                ``"torch_func"``) or check names that must have passed.

        Returns:
            The report itself.
        """
        missing = [self.checks[name] for name in _required_checks(require)
                   if name in self.checks and self.checks[name].status not in (PASSED, WARNING)]
        problems = self.failures + [c for c in missing if not c.failed]
        if problems:
            lines = "\n".join(f"  {c.name}: {c.status}: {c.detail}" for c in problems)
            raise VerificationError(f"{self.summary()}\n{lines}")
        return self

    def __str__(self) -> str:
        width = max(len(n) for n in self.checks) if self.checks else 5
        rows = [self.summary(), f"{'check':<{width}}  {'result':<11}  detail"]
        rows += [f"{c.name:<{width}}  {c.status:<11}  {c.detail}" for c in self]
        return "\n".join(rows)

    def _repr_html_(self) -> str:
        body = "".join(
            f"<tr><td title='{html.escape(_question(c.name), quote=True)}'>{html.escape(c.name)}</td>"
            f"<td style='background:{_COLOUR[c.status]}'>{_SYMBOL[c.status]} {c.status}</td>"
            f"<td style='text-align:left'>{html.escape(c.detail)}</td></tr>"
            for c in self
        )
        return (f"<table class='customgrad-verify'><caption>{html.escape(self.summary())}</caption>"
                f"<thead><tr><th>check</th><th>result</th><th>detail</th></tr></thead>"
                f"<tbody>{body}</tbody></table>")


def _required_checks(require) -> list[str]:
    """The check names behind ``require``: capability names or check names; anything else is refused."""
    if isinstance(require, str):
        raise TypeError(f"require must be a tuple of names, e.g. require=({require!r},), not the string {require!r}")
    known = capabilities()
    names = []
    for item in require:
        if item in known:
            names.append(known[item])
        elif item in REGISTRY:
            names.append(item)
        else:
            raise ValueError(f"unknown capability {item!r}; choose from {sorted(known)} or a check name")
    return names


def _question(name: str) -> str:
    spec = REGISTRY.get(name)
    return spec.question if spec is not None else ""


@dataclass
class VerifyMatrix:
    """Many reports side by side: rows the Functions, columns the checks of :data:`REGISTRY`.

    Attributes:
        reports: one :class:`VerifyReport` per row.
    """

    reports: list[VerifyReport]

    @property
    def ok(self) -> bool:
        """``True`` when no check of any report failed."""
        return all(r.ok for r in self.reports)

    @property
    def failures(self) -> list[tuple[str, Check]]:
        """``(report name, check)`` for every failed check."""
        return [(r.name, c) for r in self.reports for c in r.failures]

    def counts(self) -> dict[str, int]:
        """How many cells ended in each status."""
        return {s: sum(r.counts()[s] for r in self.reports) for s in STATUSES}

    def raise_if_failed(self) -> "VerifyMatrix":
        """Raise :class:`VerificationError` listing every failed cell, if any; else return the matrix."""
        if not self.ok:
            lines = "\n".join(f"  {name} / {c.name}: {c.detail}" for name, c in self.failures)
            raise VerificationError(f"{len(self.failures)} failing cell(s):\n{lines}")
        return self

    def _columns(self) -> list[str]:
        names = list(REGISTRY)
        extra = [n for r in self.reports for n in r.checks if n not in REGISTRY]
        return names + list(dict.fromkeys(extra))

    @staticmethod
    def _cell_text(check: Check | None) -> str:
        if check is None:
            return ""
        if check.name == "saved" and check.status != NA:
            text = check.detail.split(" (")[0].rsplit(": ", 1)[-1]  # "2 tensors, 320 B"
            return text if check.status == PASSED else f"{_SYMBOL[check.status]} {text}"
        return _SYMBOL[check.status]

    def __str__(self) -> str:
        names = self._columns()
        first = max([len(r.name) for r in self.reports] + [8])
        widths = [max(len(n), 18 if n == "saved" else 3) for n in names]
        head = " ".join([f"{'Function':<{first}}"] + [f"{n:<{w}}" for n, w in zip(names, widths)])
        rows = [head]
        for r in self.reports:
            cells = [f"{self._cell_text(r.checks.get(n)):<{w}}" for n, w in zip(names, widths)]
            rows.append(" ".join([f"{r.name:<{first}}"] + cells))
        rows += [f"FAILED {name} / {c.name}: {c.detail}" for name, c in self.failures]
        return "\n".join(rows)

    def _repr_html_(self) -> str:
        names = self._columns()
        head = "".join(f"<th title='{html.escape(_question(n), quote=True)}'>{html.escape(n)}</th>" for n in names)
        rows = []
        for r in self.reports:
            cells = "".join(
                "<td></td>" if (c := r.checks.get(n)) is None else
                f"<td style='background:{_COLOUR[c.status]};text-align:center' "
                f"title='{html.escape(c.detail, quote=True)}'>{html.escape(self._cell_text(c))}</td>"
                for n in names
            )
            rows.append(f"<tr><th style='text-align:left'>{html.escape(r.name)}</th>{cells}</tr>")
        failures = "".join(
            f"<li><b>{html.escape(name)}</b> / {html.escape(c.name)}: {html.escape(c.detail)}</li>"
            for name, c in self.failures
        )
        counts = self.counts()
        caption = (f"{len(self.reports)} Functions × {len(names)} checks: "
                   + ", ".join(f"{counts[s]} {_WORDS[s]}" for s in STATUSES if counts[s] or s in (PASSED, FAILED, NA)))
        return (f"<table class='customgrad-verify-matrix'><caption>{caption}</caption>"
                f"<thead><tr><th>Function</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
                + (f"<ul>{failures}</ul>" if failures else ""))
