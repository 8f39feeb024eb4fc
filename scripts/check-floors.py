#!/usr/bin/env python3
# The import graph of src/, checked: no module imports from a floor above its own, and no two rooms
# import each other (directly or round a circle). Hand-written: rustc allows both, and the tools that
# draw module graphs (cargo-modules) build rust-analyzer, minutes on CI for one check.
# docs/architecture.md draws the same floors; change both together. Exit status 1 lists each fault.
import pathlib
import re
import sys

# Top-level modules of the crate, from the top floor down. A module may use its own floor and below.
FLOORS = [
    ["main"],
    ["runtime"],
    ["router"],
    ["api", "app", "middleware"],
    ["pages"],
    ["state", "problem"],
    ["components", "trivia", "live", "preview", "auth", "db", "site", "qvalue", "telemetry"],
    ["model", "config"],
]
FLOOR = {room: len(FLOORS) - i for i, rooms in enumerate(FLOORS) for room in rooms}

SRC = pathlib.Path(__file__).resolve().parent.parent / "src"


def module_of(path):
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts == ["lib"]:
        return ()
    if parts == ["main"]:
        return ("main",)
    if parts[-1] == "mod":
        parts.pop()
    return tuple(parts)


def strip_comments(text):
    """The code without comments and literals (whose text could look like a path or hide a quote)."""
    literal = re.compile(
        r'r(#*)".*?"\1'  # raw strings
        r'|"(?:\\.|[^"\\])*"'  # strings, escapes and line continuations included
        r"|'(?:\\.|[^'\\])'"  # characters ('"' among them)
        r"|//[^\n]*|/\*.*?\*/",  # comments
        re.S,
    )
    return literal.sub(" ", text)


def expand_use_tree(tree):
    """`a::{b, c::{d, self}}` -> [a::b, a::c::d, a::c]"""
    tree = tree.strip()
    depth, brace = 0, None
    for i, ch in enumerate(tree):
        if ch == "{":
            if depth == 0:
                brace = i
            depth += 1
        elif ch == "}":
            depth -= 1
    if brace is None:
        return [re.sub(r"\s+as\s+\w+$", "", tree).strip()]
    prefix = tree[:brace].rstrip(":").strip()
    inner = tree[brace + 1 : tree.rfind("}")]
    items, depth, start = [], 0, 0
    for i, ch in enumerate(inner):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(inner[start:i])
            start = i + 1
    items.append(inner[start:])
    paths = []
    for item in filter(str.strip, items):
        for sub in expand_use_tree(item):
            if sub == "self":
                paths.append(prefix)
            elif prefix:
                paths.append(prefix + "::" + sub)
            else:
                paths.append(sub)
    return paths


def references(module, text):
    """Every module path this file names, made absolute (crate::…, super::…, the library's name)."""
    text = strip_comments(text)
    paths = []
    for tree in re.findall(r"\buse\s+([^;]+);", text):
        paths += expand_use_tree(tree)
    paths += re.findall(r"(?<![\w:])((?:crate|super|leptos_api_routes)(?:::\w+)+)", text)
    for path in paths:
        segments = [s for s in path.split("::") if s and s != "self"]
        if not segments:
            continue
        if segments[0] in ("crate", "leptos_api_routes"):
            yield tuple(segments[1:])
        elif segments[0] == "super":
            base = list(module)
            while segments and segments[0] == "super":
                base.pop()
                segments.pop(0)
            yield tuple(base + segments)


def main():
    files = {module_of(p): p for p in SRC.rglob("*.rs")}
    modules = set(files)
    faults = []
    edges = {}  # (parent, from-room, to-room) -> an example
    for module, path in sorted(files.items()):
        if not module:
            continue
        room = module[0]
        if room not in FLOOR:
            faults.append(f"{path}: module `{room}` is on no floor of scripts/check-floors.py")
        for ref in references(module, path.read_text()):
            target = next((ref[:n] for n in range(len(ref), 0, -1) if ref[:n] in modules), None)
            if target is None:
                continue
            if FLOOR.get(target[0], 0) > FLOOR.get(room, len(FLOORS) + 1):
                faults.append(f"{path}: imports `{'::'.join(ref)}`, a floor above `{room}`")
            common = 0
            while common < min(len(module), len(target)) and module[common] == target[common]:
                common += 1
            if common in (len(module), len(target)):
                continue  # a module and its own rooms (or its house): not a circle
            parent = module[:common]
            edges.setdefault((parent, module[common], target[common]), f"{path} -> {'::'.join(ref)}")
    graph = {}
    for parent, a, b in edges:
        graph.setdefault((parent, a), set()).add((parent, b))
    # Circles: a depth-first search per room, reporting each back edge once.
    state, stack = {}, []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                circle = stack[stack.index(nxt) :] + [nxt]
                names = " -> ".join("::".join(n[0] + (n[1],)) for n in circle)
                proof = "; ".join(edges[(nxt[0], x[1], y[1])] for x, y in zip(circle, circle[1:]))
                faults.append(f"circle: {names} ({proof})")
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    for fault in faults:
        print(fault)
    print(f"check-floors: {len(files)} modules, {len(edges)} imports between rooms, {len(faults)} faults")
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
