"""The mutation operators: a table of small transformations, apart from the engine
(``mutate``) that applies them.

An *expression* operator takes one AST node (and the ``Context``) and returns the nodes that
may replace it; a *statement* operator takes one simple statement and returns the source
text that may replace its line. Neither changes its argument. Each table maps the operator's
name, as a mutant records it, to its function.
"""

import ast
import copy
from dataclasses import dataclass, field

COUNTS = frozenset({"n", "N", "m"})  # what the styles call the batch size
SWAPPED_OPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
               ast.MatMult: ast.Mult, ast.Pow: ast.Mult}
FLIPPED = {ast.Gt: ast.Lt, ast.Lt: ast.Gt, ast.GtE: ast.LtE, ast.LtE: ast.GtE}


@dataclass
class Context:
    """What the operators know of the pass: each local's kind, read from a run of the
    original (("array", shape), ("list",), ...)."""

    kinds: dict[str, tuple] = field(default_factory=dict)

    def same_kind(self, name: str) -> list[str]:
        """Other locals of ``name``'s kind (arrays of its shape, or lists), sorted."""
        kind = self.kinds.get(name)
        if kind is None or kind[0] not in ("array", "list"):
            return []
        return sorted(other for other, k in self.kinds.items() if k == kind and other != name)

    def is_square(self, name: str) -> bool:
        kind = self.kinds.get(name, ())
        return kind[:1] == ("array",) and len(kind[1]) == 2 and kind[1][0] == kind[1][1]


def _new(node: ast.AST, **changes) -> ast.AST:
    """A deep copy of ``node`` with ``changes`` set on it."""
    out = copy.deepcopy(node)
    for name, value in changes.items():
        setattr(out, name, value)
    return out


def _attr_call(node: ast.AST, *names: str) -> bool:
    """Whether ``node`` is ``something.<name>(...)`` (``np.dot(...)`` included)."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in names)


def _is_np(node: ast.Call, name: str) -> bool:
    f = node.func
    return _attr_call(node, name) and isinstance(f.value, ast.Name) and f.value.id == "np"


def _mentions_count(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) and n.id in COUNTS for n in ast.walk(node))


# expression operators ---------------------------------------------------------------------

def binary_operator(node: ast.AST, ctx: Context) -> list[ast.AST]:
    """+ <-> -, * <-> /, @ -> *, ** -> *."""
    if isinstance(node, ast.BinOp) and type(node.op) in SWAPPED_OPS:
        return [_new(node, op=SWAPPED_OPS[type(node.op)]())]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        return [_new(node, op=ast.MatMult())]
    return []


def operands_swapped(node: ast.AST, ctx: Context) -> list[ast.AST]:
    """a - b -> b - a (also / @ **), np.dot(a, b) -> np.dot(b, a), a.dot(b) -> b.dot(a)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Sub, ast.Div, ast.MatMult,
                                                            ast.Pow)):
        return [_new(node, left=copy.deepcopy(node.right), right=copy.deepcopy(node.left))]
    if isinstance(node, ast.Call) and _is_np(node, "dot") and len(node.args) == 2:
        return [_new(node, args=[copy.deepcopy(node.args[1]), copy.deepcopy(node.args[0])])]
    if _attr_call(node, "dot") and len(node.args) == 1:
        a, b = node.func.value, node.args[0]
        return [ast.Call(ast.Attribute(copy.deepcopy(b), "dot", ast.Load()),
                         [copy.deepcopy(a)], [])]
    return []


def _matmul_operands(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
        return [node.left, node.right]
    if isinstance(node, ast.Call) and _is_np(node, "dot"):
        return list(node.args)
    if _attr_call(node, "dot") and len(node.args) == 1:
        return [node.func.value, node.args[0]]
    return []


def _transposable(node: ast.AST, ctx: Context) -> list[ast.AST]:
    """The operands of ``node`` that may gain a ``.T``: a product's, or square arrays in
    elementwise arithmetic."""
    operands = _matmul_operands(node)
    if not operands and isinstance(node, ast.BinOp):
        operands = [o for o in (node.left, node.right)
                    if isinstance(o, ast.Name) and ctx.is_square(o.id)]
    return operands


def transpose_added(node: ast.AST, ctx: Context) -> list[ast.AST]:
    """``node`` with ``.T`` on one of its operands (an operand of a product, or a square
    array in elementwise arithmetic)."""
    out = []
    for i, operand in enumerate(_transposable(node, ctx)):
        if isinstance(operand, ast.Attribute) and operand.attr == "T":
            continue
        copied = copy.deepcopy(node)
        target = _transposable(copied, ctx)[i]
        replace_node(copied, target, ast.Attribute(target, "T", ast.Load()))
        out.append(copied)
    return out


def transpose_removed(node: ast.AST, ctx: Context) -> list[ast.AST]:
    """``a.T`` -> ``a``; ``a.transpose()`` -> ``a``."""
    if isinstance(node, ast.Attribute) and node.attr == "T":
        return [copy.deepcopy(node.value)]
    if _attr_call(node, "transpose") and not node.args:
        return [copy.deepcopy(node.func.value)]
    return []


def axis_changed(node: ast.AST, ctx: Context) -> list[ast.AST]:
    """``axis=0`` <-> ``axis=1``, or the axis removed (a keyword or ``.sum(0)``)."""
    if not isinstance(node, ast.Call):
        return []
    out = []
    for i, kw in enumerate(node.keywords):
        if kw.arg == "axis" and isinstance(kw.value, ast.Constant):
            other = _new(node)
            other.keywords[i].value = ast.Constant(1 - kw.value.value)
            out.append(other)
            out.append(_new(node, keywords=[k for j, k in enumerate(node.keywords) if j != i]))
    if (_attr_call(node, "sum", "max", "mean") and node.args
            and isinstance(node.args[0], ast.Constant) and node.args[0].value in (0, 1)):
        out.append(_new(node, args=[ast.Constant(1 - node.args[0].value)]))
        out.append(_new(node, args=[]))
    return out


def keepdims_removed(node: ast.AST, ctx: Context) -> list[ast.AST]:
    if isinstance(node, ast.Call) and any(kw.arg == "keepdims" for kw in node.keywords):
        return [_new(node, keywords=[k for k in node.keywords if k.arg != "keepdims"])]
    return []


def constant_changed(node: ast.AST, ctx: Context) -> list[ast.AST]:
    """1 -> 2 or 0.5, 2 -> 1, 0.5 -> 1, 0 -> 1, c -> 2c or c/2."""
    if not (isinstance(node, ast.Constant) and type(node.value) in (int, float)):
        return []
    c = node.value
    if c in (0, 2, 0.5):
        values = [1]
    elif c == 1:
        values = [2, 0.5]
    else:
        values = [c * 2, c / 2]
    return [ast.Constant(type(c)(v) if float(v).is_integer() else v) for v in values]


def batch_division(node: ast.AST, ctx: Context) -> list[ast.AST]:
    """``x / n`` -> ``x`` or ``x / (2 * n)``; ``1 / m * x`` -> ``x`` (n the batch size)."""
    if not isinstance(node, ast.BinOp):
        return []
    if isinstance(node.op, ast.Div) and _mentions_count(node.right):
        doubled = ast.BinOp(ast.Constant(2), ast.Mult(), copy.deepcopy(node.right))
        return [copy.deepcopy(node.left), _new(node, right=doubled)]
    if isinstance(node.op, ast.Mult):
        for side, other in ((node.left, node.right), (node.right, node.left)):
            if (isinstance(side, ast.BinOp) and isinstance(side.op, ast.Div)
                    and isinstance(side.left, ast.Constant) and _mentions_count(side.right)):
                return [copy.deepcopy(other)]
    return []


def term_deleted(node: ast.AST, ctx: Context) -> list[ast.AST]:
    """``a + b`` -> ``a`` or ``b``; ``a - b`` -> ``a`` or ``-b``."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [copy.deepcopy(node.left), copy.deepcopy(node.right)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub):
        return [copy.deepcopy(node.left), ast.UnaryOp(ast.USub(), copy.deepcopy(node.right))]
    return []


def variable_replaced(node: ast.AST, ctx: Context) -> list[ast.AST]:
    """A local read replaced by another local of the same shape (at most two of them)."""
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
        return [ast.Name(other, ast.Load()) for other in ctx.same_kind(node.id)[:2]]
    return []


def condition_flipped(node: ast.AST, ctx: Context) -> list[ast.AST]:
    """``>`` <-> ``<``, ``>=`` <-> ``<=``; np.maximum -> np.minimum; np.where's branches
    swapped."""
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in FLIPPED:
        return [_new(node, ops=[FLIPPED[type(node.ops[0])]()])]
    if isinstance(node, ast.Call) and _is_np(node, "maximum"):
        return [_new(node, func=ast.Attribute(ast.Name("np", ast.Load()), "minimum",
                                              ast.Load()))]
    if isinstance(node, ast.Call) and _is_np(node, "where") and len(node.args) == 3:
        c, a, b = (copy.deepcopy(x) for x in node.args)
        return [_new(node, args=[c, b, a])]
    return []


def sign_removed(node: ast.AST, ctx: Context) -> list[ast.AST]:
    """``-a`` -> ``a``."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return [copy.deepcopy(node.operand)]
    return []


def copy_removed(node: ast.AST, ctx: Context) -> list[ast.AST]:
    """``a.copy()`` -> ``a``; ``np.array(a, copy=True)`` -> ``a``: the copy becomes an alias."""
    if _attr_call(node, "copy") and not node.args:
        return [copy.deepcopy(node.func.value)]
    if isinstance(node, ast.Call) and _is_np(node, "array") and node.args:
        return [copy.deepcopy(node.args[0])]
    return []


def replace_node(root: ast.AST, target: ast.AST, new: ast.AST) -> None:
    """Put ``new`` where ``target`` (a node inside ``root``) is."""
    for parent in ast.walk(root):
        for name, value in ast.iter_fields(parent):
            if value is target:
                setattr(parent, name, new)
                return
            if isinstance(value, list) and any(v is target for v in value):
                value[[i for i, v in enumerate(value) if v is target][0]] = new
                return
    raise ValueError("target not found")


EXPRESSION = {
    "binary operator": binary_operator, "operands swapped": operands_swapped,
    "transpose added": transpose_added, "transpose removed": transpose_removed,
    "axis changed": axis_changed, "keepdims removed": keepdims_removed,
    "constant changed": constant_changed, "batch division": batch_division,
    "term deleted": term_deleted, "variable replaced": variable_replaced,
    "condition flipped": condition_flipped, "sign flipped": sign_removed,
    "copy removed": copy_removed,
}


# statement operators ----------------------------------------------------------------------

def statement_deleted(stmt: ast.stmt, ctx: Context) -> list[str]:
    """The statement replaced by ``pass``."""
    return ["pass"]


def sign_flipped(stmt: ast.stmt, ctx: Context) -> list[str]:
    """``x = e`` -> ``x = -e`` (also ``x += e``)."""
    if isinstance(stmt, (ast.Assign, ast.AugAssign)):
        value = stmt.value
        if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub):
            return []
        return [ast.unparse(_new(stmt, value=ast.UnaryOp(ast.USub(), copy.deepcopy(value))))]
    return []


def in_place(stmt: ast.stmt, ctx: Context) -> list[str]:
    """``x = y * e`` -> ``y *= e; x = y`` (also + - /, and ``x = e * y`` for * and +):
    an in-place update where a copy was made, so ``y`` changes too."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.value, ast.BinOp)
            and isinstance(stmt.value.op, (ast.Add, ast.Sub, ast.Mult, ast.Div))):
        return []
    value, x = stmt.value, ast.unparse(stmt.targets[0])
    sides = [(value.left, value.right)]
    if isinstance(value.op, (ast.Add, ast.Mult)):
        sides.append((value.right, value.left))
    out = []
    for y, e in sides:
        if isinstance(y, (ast.Name, ast.Subscript)) and ast.unparse(y) != x:
            update = ast.AugAssign(copy.deepcopy(y), type(value.op)(), copy.deepcopy(e))
            out.append(f"{ast.unparse(update)}; {x} = {ast.unparse(y)}")
    return out


def batch_division_augmented(stmt: ast.stmt, ctx: Context) -> list[str]:
    """``x /= n`` -> ``x /= 2 * n`` (removing it is a deleted statement)."""
    if (isinstance(stmt, ast.AugAssign) and isinstance(stmt.op, ast.Div)
            and _mentions_count(stmt.value)):
        doubled = ast.BinOp(ast.Constant(2), ast.Mult(), copy.deepcopy(stmt.value))
        return [ast.unparse(_new(stmt, value=doubled))]
    return []


STATEMENT = {
    "statement deleted": statement_deleted, "sign flipped": sign_flipped,
    "in-place update": in_place, "batch division": batch_division_augmented,
}
