"""One source for the device's numbers: include/vionic/regs.h (and virtio.h).

(a) hw/rtl/vionic_pkg.sv mirrors the C macros under their exact C names; every
    mirrored value must equal the C value, and the package must mirror at least
    the vendor registers, the error codes and the feature bits.
(b) Nowhere else are they typed again: the Python of sw/driver/vionic, tests and
    bench and the RTL outside vionic_pkg.sv hold no literal that is a vendor-block
    register offset, the ID magic, the register-map version, the offered feature
    set or a PCI ID. Python takes them from `vionic.regs`, the RTL from `vionic_pkg::`.

Pure parsing: no build, no extension, no simulator.
"""

from __future__ import annotations

import ast
import operator
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
C_HEADERS = [ROOT / "include/vionic/regs.h", ROOT / "include/vionic/virtio.h"]
PKG = ROOT / "hw/rtl/vionic_pkg.sv"
MIRROR_PREFIXES = ("VIONIC_", "VIRTIO_", "VRING_")

# ---------------------------------------------------------------- expressions
_BINOPS = {ast.LShift: operator.lshift, ast.RShift: operator.rshift, ast.BitOr: operator.or_,
           ast.BitAnd: operator.and_, ast.BitXor: operator.xor, ast.Add: operator.add,
           ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Pow: operator.pow}
_UNOPS = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert}


def _evaluate(expr: str, names: dict[str, int]) -> int:
    """Integer value of a C/SV constant expression already reduced to Python syntax
    (decimal literals, names, << | & ^ + - * ** ~ and parentheses); KeyError for an
    unknown name, ValueError for anything else."""

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.Name):
            return names[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return _BINOPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNOPS:
            return _UNOPS[type(node.op)](ev(node.operand))
        raise ValueError(ast.dump(node))

    try:
        return ev(ast.parse(expr.strip(), mode="eval"))
    except SyntaxError as e:
        raise ValueError(expr) from e


def _strip_comments(text: str) -> str:
    """C/SV comments out, newlines kept (so line numbers stay)."""
    def blank(m):
        return re.sub(r"[^\n]", " ", m.group(0))
    return re.sub(r"/\*.*?\*/|//[^\n]*", blank, text, flags=re.S)


# ---------------------------------------------------------------- C headers
def c_macros() -> dict[str, int]:
    """Object-like integer #defines of the C headers, by name. A byte-array
    initializer ({ 0x02, 0x56, ... }) counts as the big-endian integer of its bytes
    (how the RTL holds a MAC address)."""
    values: dict[str, int] = {}
    for header in C_HEADERS:
        text = _strip_comments(header.read_text()).replace("\\\n", " ")
        for m in re.finditer(r"^[ \t]*#define[ \t]+(\w+)\b(?!\()[ \t]*(.*)$", text, re.M):
            name, body = m.group(1), m.group(2).strip()
            if not body:
                continue  # include guard
            body = re.sub(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]*\b", lambda n: str(int(n.group(1), 0)),
                          body)
            brace = re.fullmatch(r"\{([\d\s,]*)\}", body)
            if brace:
                octets = [int(x) for x in brace.group(1).split(",") if x.strip()]
                values[name] = int.from_bytes(bytes(octets), "big")
                continue
            try:
                values[name] = _evaluate(body, values)
            except (KeyError, ValueError):
                pass  # not an integer constant (a string, a type, ...)
    return values


# ---------------------------------------------------------------- SystemVerilog
_SV_BASED = re.compile(r"(?:\b(\d+)\s*)?'[sS]?([hHdDbBoO])\s*([0-9a-fA-F_]+)")
_SV_BASES = {"h": 16, "d": 10, "b": 2, "o": 8}


def _sv_to_python(expr: str) -> str:
    expr = re.sub(r"\b\w+::", "", expr)                  # vionic_pkg::NAME -> NAME
    expr = re.sub(r"\b\d+\s*'\s*\(", "(", expr)          # size casts 32'(x) -> (x)
    expr = _SV_BASED.sub(lambda m: str(int(m.group(3).replace("_", ""),
                                           _SV_BASES[m.group(2).lower()])), expr)
    return re.sub(r"\b(\d[\d_]*)\b", lambda m: m.group(1).replace("_", ""), expr)


def _split_top(text: str) -> list[str]:
    """Split at commas outside brackets, parentheses and braces."""
    items, depth, cur = [], 0, ""
    for ch in text:
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            items.append(cur)
            cur = ""
        else:
            cur += ch
    return [*items, cur]


def sv_localparams(path: Path) -> dict[str, int | None]:
    """localparam/parameter and explicitly valued enum items of an SV file, in
    order, by name; None where the value is not a constant this parser follows."""
    text = _strip_comments(path.read_text())
    decls = re.finditer(r"\b(?:localparam|parameter)\b([^;]*);|\benum\b[^{;]*\{([^}]*)\}", text)
    values: dict[str, int | None] = {}
    for decl in decls:
        for item in _split_top(decl.group(1) or decl.group(2)):
            m = re.search(r"([A-Za-z_]\w*)\s*(?:\[[^\]]*\]\s*)*=(.*)$", item, re.S)
            if not m:
                continue
            known = {k: v for k, v in values.items() if v is not None}
            try:
                values[m.group(1)] = _evaluate(_sv_to_python(m.group(2)), known)
            except (KeyError, ValueError):
                values[m.group(1)] = None
    return values


# ---------------------------------------------------------------- (a) package vs regs.h
def _must_mirror(c: dict[str, int]) -> set[str]:
    required = re.compile(r"VIONIC_REG_|VIONIC_QSTAT|VIONIC_ERR_|VIRTIO_F_|VIRTIO_NET_F_")
    return {n for n in c if required.match(n)} | {
        "VIONIC_VENDOR", "VIONIC_ID_MAGIC", "VIONIC_REGMAP_VERSION", "VIONIC_DEVICE_FEATURES"}


def test_sv_package_mirrors_regs_h():
    assert PKG.exists(), (
        f"{PKG.relative_to(ROOT)} is missing: the RTL's copy of include/vionic/regs.h "
        "(localparams named exactly as the C macros) must exist")
    c = c_macros()
    sv = sv_localparams(PKG)
    problems = []
    for name, value in sv.items():
        if name in c:
            if value is None:
                problems.append(f"{name}: value not a constant expression this test can follow")
            elif value != c[name]:
                problems.append(f"{name}: vionic_pkg.sv has {value:#x}, regs.h {c[name]:#x}")
        elif name.startswith(MIRROR_PREFIXES):
            problems.append(f"{name}: prefixed like a C macro, but no C header defines it "
                            "(a typo, or a name the RTL adds that needs another prefix)")
    problems += [f"{name}: not mirrored (the RTL must use this name, not a number)"
                 for name in sorted(_must_mirror(c) - set(sv))]
    assert not problems, "vionic_pkg.sv disagrees with the C headers:\n  " + "\n  ".join(problems)


# ---------------------------------------------------------------- (b) no typed copies
def _typed_copy(value: int, hex_digits: int | None, c: dict[str, int]) -> str | None:
    """The regs.h name(s) a literal copies, or None if it is not one the scan checks.
    hex_digits: the number of hex digits written, None for a non-hex literal."""
    def named(v, pattern=r"VIONIC_"):
        return " / ".join(sorted(n for n, x in c.items() if x == v and re.match(pattern, n)))

    if value in (c["VIONIC_ID_MAGIC"], c["VIONIC_DEVICE_FEATURES"]):
        return named(value)
    if hex_digits is None:
        return None
    vendor = c["VIONIC_VENDOR"]
    if vendor <= value < vendor + 0x1000:
        return named(value, r"VIONIC_(VENDOR|REG_)") or (
            "an offset inside the vendor block (VIONIC_VENDOR): build it from regs.h names, "
            "e.g. VIONIC_REG_QSTATS_BASE + VIONIC_QSTATS_STRIDE * q + VIONIC_QSTAT_*")
    if hex_digits >= 8 and value == c["VIONIC_REGMAP_VERSION"]:
        return "VIONIC_REGMAP_VERSION"
    if value in (c["VIONIC_PCI_VENDOR_ID"], c["VIONIC_PCI_DEVICE_ID"]):
        return named(value, r"VIONIC_PCI_")
    return None


def _python_literals(path: Path):
    with open(path, "rb") as f:
        for tok in tokenize.tokenize(f.readline):
            if tok.type == tokenize.NUMBER:
                text = tok.string.replace("_", "")
                try:
                    value = int(text, 0)
                except ValueError:
                    continue  # a float or an imaginary number
                digits = len(text) - 2 if text[:2].lower() == "0x" else None
                yield tok.start[0], tok.string, value, digits


def _sv_literals(path: Path):
    text = _strip_comments(path.read_text())
    text = re.sub(r'"(?:\\.|[^"\\\n])*"', '""', text)
    for m in _SV_BASED.finditer(text):
        raw = m.group(3).replace("_", "")
        base = _SV_BASES[m.group(2).lower()]
        line = text.count("\n", 0, m.start()) + 1
        yield line, m.group(0), int(raw, base), len(raw) if base == 16 else None


def _scanned_files():
    py = [p for d in ("sw/driver/vionic", "tests", "bench") for p in (ROOT / d).rglob("*.py")]
    sv = [p for p in (ROOT / "hw/rtl").glob("*.sv") if p != PKG]
    here = Path(__file__).resolve()
    return [(p, _python_literals, "regs.{}") for p in sorted(py) if p.resolve() != here] + \
           [(p, _sv_literals, "vionic_pkg::{}") for p in sorted(sv)]


def test_no_regs_h_constant_typed_again():
    c = c_macros()
    found = []
    for path, literals, spelling in _scanned_files():
        for line, text, value, hex_digits in literals(path):
            name = _typed_copy(value, hex_digits, c)
            if name:
                names = name.split(" / ")
                if all(re.fullmatch(r"\w+", n) for n in names):
                    name = f"regs.h {name}; use " + " or ".join(spelling.format(n) for n in names)
                found.append(f"{path.relative_to(ROOT)}:{line}: {text} is {name}")
    assert not found, ("constants of include/vionic/regs.h typed again (take them from "
                       "`vionic.regs` in Python, `vionic_pkg::` in SV):\n  " + "\n  ".join(found))


def test_parsers_follow_the_literal_forms_used():
    """The two parsers above read what the headers and the package write."""
    c = c_macros()
    assert c["VIONIC_DEVICE_FEATURES"] == sum(1 << c[n] for n in (
        "VIRTIO_F_VERSION_1", "VIRTIO_F_ACCESS_PLATFORM", "VIRTIO_NET_F_MAC",
        "VIRTIO_NET_F_MTU", "VIRTIO_NET_F_STATUS", "VIRTIO_F_NOTIFICATION_DATA",
        "VIRTIO_NET_F_CSUM", "VIRTIO_NET_F_GUEST_CSUM", "VIRTIO_NET_F_MRG_RXBUF"))
    assert c["VIONIC_ID_MAGIC"].to_bytes(4, "little") == b"VNIC"
    assert "VIONIC_REG_QSTATS" not in c and "VIONIC_REGS_H" not in c
    py = {"'h4020": 0x4020, "16'h4020": 0x4020, "32'd7": 7, "4'b0110": 6,
          "32'h4349_4E56": 0x43494E56, "1 << 5": 32, "(1 << A) | 64'h1": 9,
          "vionic_pkg::A + 16'(2)": 5, "1_000": 1000}
    for sv, want in py.items():
        assert _evaluate(_sv_to_python(sv), {"A": 3}) == want, sv
