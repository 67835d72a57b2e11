"""The files of libvionic (sw/pmd) call each other without cycles: each file
only calls files below it (errors and the mempool at the bottom, the device
life cycle, the data path and the bench above). The calls come from the
objects the Makefile builds: an undefined symbol of one file that another
sw/pmd file defines is a call from the first file into the second."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PMD = ROOT / "sw/pmd"

CallGraph = dict[str, dict[str, list[str]]]


def library_sources() -> list[Path]:
    """Every .c of libvionic, as the Makefile takes them (programs are in examples/)."""
    return sorted(p.relative_to(ROOT) for p in PMD.rglob("*.c") if "examples" not in p.parts)


def build_objects(sources: list[Path]) -> dict[str, Path]:
    """Brings the Makefile's objects of `sources` up to date; source -> object."""
    objects = [Path("build/obj") / src.with_suffix(".o") for src in sources]
    subprocess.run(["make", "-s", *map(str, objects)], cwd=ROOT, check=True)
    return {str(src): ROOT / obj for src, obj in zip(sources, objects, strict=True)}


def call_graph(objects: dict[str, Path]) -> CallGraph:
    """file -> {file it calls: [symbols]}, from one `nm` over every object."""
    by_object = {str(obj): name for name, obj in objects.items()}
    out = subprocess.run(["nm", "-A", "-P", *by_object], capture_output=True, text=True,
                         check=True).stdout
    defined: dict[str, str] = {}
    undefined: dict[str, set[str]] = {name: set() for name in objects}
    for line in out.splitlines():
        obj, symbol, kind = line.split()[:3]
        name = by_object[obj.rstrip(":")]
        if kind == "U":
            undefined[name].add(symbol)
        elif kind.isupper():
            defined[symbol] = name
    graph: CallGraph = {name: {} for name in objects}
    for name, symbols in undefined.items():
        for symbol in sorted(symbols):
            callee = defined.get(symbol)
            if callee and callee != name:
                graph[name].setdefault(callee, []).append(symbol)
    return graph


def find_cycle(graph: CallGraph) -> list[str]:
    """A list of files where each calls the next and the last calls the first,
    or [] when there is no cycle (depth-first search)."""
    state: dict[str, int] = {}          # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for callee in sorted(graph[node]):
            if state.get(callee) == 1:
                return path[path.index(callee):]
            if callee not in state and (cycle := visit(callee)):
                return cycle
        path.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def describe(graph: CallGraph, cycle: list[str]) -> str:
    hops = zip(cycle, cycle[1:] + cycle[:1], strict=True)
    return "\n".join(f"  {a} -> {b}: {', '.join(graph[a][b])}" for a, b in hops)


def test_libvionic_files_call_without_cycles():
    graph = call_graph(build_objects(library_sources()))
    # the graph is real: the life cycle calls the register helpers
    assert "vpmd_reg_write8" in graph["sw/pmd/device.c"]["sw/pmd/pci.c"]
    cycle = find_cycle(graph)
    assert not cycle, "circular calls between the files of sw/pmd:\n" + describe(graph, cycle)


def test_a_cycle_is_found_and_named(tmp_path):
    """The check itself: two files that call each other are reported with
    the symbols of both calls."""
    sources = {"a.c": "int b(void);\nint a(void) { return b() + 1; }\n",
               "b.c": "int a(void);\nint c(void) { return 2; }\nint b(void) { return a(); }\n",
               "c.c": "int c(void);\nint d(void) { return c(); }\n"}
    objects = {}
    for name, text in sources.items():
        (tmp_path / name).write_text(text)
        objects[name] = tmp_path / name.replace(".c", ".o")
        subprocess.run([os.environ.get("CC", "cc"), "-c", name, "-o", objects[name]],
                       cwd=tmp_path, check=True)
    graph = call_graph(objects)
    assert graph == {"a.c": {"b.c": ["b"]}, "b.c": {"a.c": ["a"]}, "c.c": {"b.c": ["c"]}}
    cycle = find_cycle(graph)
    assert sorted(cycle) == ["a.c", "b.c"]
    assert describe(graph, cycle) == "  a.c -> b.c: b\n  b.c -> a.c: a"
