"""Every mutant of a generated source: each operator of ``operators`` applied at each place
of each line that computes something, the line rewritten and the rest of the text kept.

A mutant changes one line (two for reordered statements) and keeps every line number, so
its record says exactly where it is: the operator, the line, the variable that line assigns
and the checker's location(s) of what the line computes (``writer.Source.where``).
"""

import ast
import copy
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from comparisons.bench.mutants import operators
from comparisons.bench.mutants.writer import Source


@dataclass(frozen=True)
class Mutation:
    """One mutant of a source."""

    operator: str                 # a name from operators.EXPRESSION or STATEMENT
    line: int                     # the mutated line, from 1 (the first of two reordered)
    variable: str                 # what the mutated statement assigns
    locations: tuple[str, ...]    # the checker's nodes that line computes, top layer first
    part: str                     # "backward" or "forward" (the forward pass and the loss)
    before: str                   # the original line(s), stripped
    after: str                    # the mutated line(s), stripped
    text: str                     # the whole mutant source

    @property
    def location(self) -> str:
        """The first node the mistake reaches (the top layer's, for a loop's body)."""
        return self.locations[0]

    def source(self, original: Source) -> Source:
        return Source(self.text, original.where, original.name)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["locations"] = list(self.locations)
        return out


def context(grad_fn_source: Source, run: Callable[[Source], dict[str, object]]
            ) -> operators.Context:
    """The kind of each local of the pass (("array", shape), ("list",), ("number",)), read
    by ``run(source)``, which must call the pass compiled from the source it receives: here
    the pass is rewritten to return ``locals()`` at its end."""
    tree = ast.parse(grad_fn_source.text)
    body = tree.body[0].body
    body[-1] = ast.Return(ast.Call(ast.Name("locals", ast.Load()), [], []))
    ast.fix_missing_locations(tree)
    values = run(Source(ast.unparse(tree) + "\n", {}, grad_fn_source.name))
    kinds = {}
    for name, value in values.items():
        if isinstance(value, np.ndarray):
            kinds[name] = ("array", value.shape)
        elif isinstance(value, list):
            kinds[name] = ("list",)
        elif isinstance(value, (int, float)):
            kinds[name] = ("number",)
    return operators.Context(kinds)


def _assigned(stmt: ast.stmt) -> str:
    """The variable a statement assigns, as its line writes it (a masked ``dz[z <= 0]`` is
    ``dz``)."""
    if isinstance(stmt, ast.Assign):
        target = stmt.targets[0]
    elif isinstance(stmt, ast.AugAssign):
        target = stmt.target
    elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and isinstance(
            stmt.value.func, ast.Attribute):
        target = stmt.value.func.value  # zs.append(z) assigns to zs
    elif isinstance(stmt, ast.For):
        target = stmt.target
    elif isinstance(stmt, ast.Return):
        return "return"
    else:
        return type(stmt).__name__.lower()
    if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Compare):
        target = target.value
    return ast.unparse(target)


def _header(stmt: ast.stmt) -> str:
    """The first line of a compound statement, as ``ast.unparse`` writes it."""
    hollow = copy.copy(stmt)
    hollow.body, hollow.orelse = [ast.Pass()], []
    return ast.unparse(hollow).splitlines()[0]


def _text(stmt: ast.stmt) -> str:
    return _header(stmt) if isinstance(stmt, (ast.For, ast.If)) else ast.unparse(stmt)


def _places(stmt: ast.stmt) -> list[ast.AST]:
    """The expression nodes of a statement that operators may rewrite (a header's only)."""
    if isinstance(stmt, ast.For):
        roots = [stmt.iter]
    elif isinstance(stmt, ast.If):
        roots = [stmt.test]
    else:
        roots = [stmt]
    nodes = [n for root in roots for n in ast.walk(root)]
    return [n for n in nodes if isinstance(n, ast.expr)
            and not (isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))]


def _text_with(stmt: ast.stmt, node: ast.AST, new: ast.AST) -> str:
    """The text of ``stmt`` with ``node`` (one of its places) swapped for ``new``: swapped
    in, written out, swapped back."""
    for parent in ast.walk(stmt):
        for name, value in ast.iter_fields(parent):
            if value is node:
                setattr(parent, name, new)
                try:
                    return _text(stmt)
                finally:
                    setattr(parent, name, node)
            if isinstance(value, list) and any(v is node for v in value):
                i = [j for j, v in enumerate(value) if v is node][0]
                value[i] = new
                try:
                    return _text(stmt)
                finally:
                    value[i] = node
    raise ValueError("the node is not in the statement")


def _statements(body: list[ast.stmt]):
    """(statement, the block holding it, its index there) for every statement, depth first."""
    for i, stmt in enumerate(body):
        yield stmt, body, i
        for field in ("body", "orelse"):
            yield from _statements(getattr(stmt, field, []) or [])


def mutants(source: Source, ctx: operators.Context) -> list[Mutation]:
    """Every distinct mutant of ``source``, in line order, operators in table order."""
    lines = source.lines
    func = ast.parse(source.text).body[0]
    found, seen = [], set()

    def keep(operator, stmt, new_lines: dict[int, str], also: ast.stmt | None = None):
        key = tuple(sorted(new_lines.items()))
        if key in seen:
            return
        seen.add(key)
        text = list(lines)
        for number, new in new_lines.items():
            indent = lines[number - 1][:len(lines[number - 1]) - len(lines[number - 1].lstrip())]
            text[number - 1] = indent + new
        where = source.where[stmt.lineno]
        if also is not None:  # reordered: the moved statement first
            where = tuple(dict.fromkeys(source.where[also.lineno] + where))
        found.append(Mutation(
            operator=operator, line=stmt.lineno, locations=where,
            variable=_assigned(stmt) + ("" if also is None else f" / {_assigned(also)}"),
            part=source.part(stmt.lineno),
            before=" / ".join(lines[n - 1].strip() for n in sorted(new_lines)),
            after=" / ".join(new_lines[n].strip() for n in sorted(new_lines)),
            text="\n".join(text) + "\n"))

    for stmt, block, i in _statements(func.body):
        if not source.where.get(stmt.lineno):
            continue
        original = _text(stmt)
        for node in _places(stmt):
            for name, operator in operators.EXPRESSION.items():
                for new in operator(node, ctx):
                    text = _text_with(stmt, node, new)
                    if text != original:
                        keep(name, stmt, {stmt.lineno: text})
        if isinstance(stmt, (ast.For, ast.If)):
            continue
        for name, operator in operators.STATEMENT.items():
            for text in operator(stmt, ctx):
                keep(name, stmt, {stmt.lineno: text})
        following = block[i + 1] if i + 1 < len(block) else None
        if (following is not None and not isinstance(following, (ast.For, ast.If))
                and source.part(following.lineno) == source.part(stmt.lineno)):
            keep("statements reordered", stmt,
                 {stmt.lineno: lines[following.lineno - 1].strip(),
                  following.lineno: lines[stmt.lineno - 1].strip()}, also=following)
    return found
