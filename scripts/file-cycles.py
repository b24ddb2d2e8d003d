#!/usr/bin/env python3
"""File-level dependency cycles in the workspace's Rust source trees.

By default every crate is scanned as its own tree (`crates/*/src` and `harness/src`, found from
the repository this script sits in); a SRC_ROOT argument scans that one tree only.

An edge A -> B means file A names an item defined in file B: through a `use` (`crate::`,
`super::`, `self::` paths) or a path written inline in the code (`crate::x::f()`,
`super::y::Z`). A path is resolved to the deepest module file it reaches; a name a module
re-exports (`pub use child::Thing;`) is followed to the file that defines it, and the re-export
itself is no edge (it only forwards the name) unless the file also uses the name itself. `mod x;` declarations are no edges. Comments and
string literals are ignored.

A name the crate root binds to another crate (`use mtls_measure as measure;`) is outside the
tree: `crate::measure::Outcome` is no edge. A root alias of the crate itself
(`use crate as report;`) is followed: `crate::report::summary::X` is `crate::summary::X`.

Prints every strongly connected set of files (every cycle), smallest first, each with one
example edge per pair, and exits 1 when there is any; `--under DIR` reports only the cycles
inside DIR (relative to the source root); `--skip DIR` (repeatable, relative to the repository,
e.g. `--skip harness/src/cli`) leaves out the cycles whose files all lie in DIR.

Usage: scripts/file-cycles.py [SRC_ROOT] [--under peers] [--skip harness/src/cli]
"""

import os
import re
import sys

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip_comments_and_strings(text):
    """The code without comments, string and char literals (kept as blanks, lines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    if text[i] == "\n":
                        out.append("\n")
                    i += 1
        elif c == "r" and re.match(r'r#*"', text[i:i + 10]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'r(#*)"', text[i:])
            end = '"' + m.group(1)
            j = text.find(end, i + len(m.group(0)))
            j = n if j < 0 else j + len(end)
            out.append("\n" * text.count("\n", i, j) + '""')
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append("\n" * text.count("\n", i, j) + '""')
            i = j + 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i + 12]):
            m = re.match(r"'(\\u\{[0-9a-fA-F]+\}|\\.|[^\\'])'", text[i:])
            if m:
                out.append("' '")
                i += len(m.group(0))
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def module_files(root):
    """{module path tuple: file} for every .rs file under root (lib.rs and main.rs are roots)."""
    mods = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            parts = rel[:-3].split(os.sep)
            if parts == ["lib"]:
                mods[()] = path
                continue
            if parts == ["main"]:
                continue
            if parts[-1] == "mod":
                parts = parts[:-1]
            mods[tuple(parts)] = path
    return mods


def expand_use_tree(tree):
    """The paths of one `use` tree: `a::{b, c::{d as e}}` -> [a::b, a::c::d]; (path, alias)."""
    tree = tree.strip()
    depth = 0
    for k, ch in enumerate(tree):
        if ch == "{":
            prefix = tree[:k].rstrip(":").strip()
            inner = tree[k + 1:tree.rindex("}")]
            items, depth, start = [], 0, 0
            for j, c2 in enumerate(inner):
                if c2 == "{":
                    depth += 1
                elif c2 == "}":
                    depth -= 1
                elif c2 == "," and depth == 0:
                    items.append(inner[start:j])
                    start = j + 1
            items.append(inner[start:])
            out = []
            for item in items:
                if item.strip():
                    for p, alias in expand_use_tree(item):
                        full = p if not prefix else (prefix if p == "self" else prefix + "::" + p)
                        out.append((full, alias if p != "self" else (alias or prefix.split("::")[-1])))
            return out
    m = re.match(r"(.*?)\s+as\s+(" + IDENT + r")$", tree)
    if m:
        return [(m.group(1).strip(), m.group(2))]
    return [(tree, None)]


class Tree:
    def __init__(self, root):
        self.root = root
        self.mods = module_files(root)
        self.code = {}
        for mod, path in self.mods.items():
            with open(path, encoding="utf-8") as f:
                code = strip_comments_and_strings(f.read())
            # `pub(in crate::x)` names a module for visibility only: no dependency.
            self.code[mod] = re.sub(r"pub\s*\(\s*in\s+[^)]*\)", "pub ", code)
        self.aliases = self.root_aliases()
        # Re-exports and imports per module: name -> absolute path (tuple).
        self.reexports = {m: {} for m in self.mods}
        self.uses = {m: [] for m in self.mods}
        for mod, code in self.code.items():
            for m in re.finditer(r"(^|[;{}\n])\s*(pub(\([^)]*\))?\s+)?use\s+([^;]+);", code):
                public = m.group(2) is not None
                for path, alias in expand_use_tree(m.group(4)):
                    if path.endswith("::*"):
                        continue
                    absolute = self.absolute(mod, path)
                    if absolute is None:
                        continue
                    name = alias or absolute[-1]
                    if public:
                        self.reexports[mod][name] = absolute
                    else:
                        self.uses[mod].append(absolute)

    def root_aliases(self):
        """{name: () for the crate itself, None for another crate} bound by the crate root."""
        aliases = {}
        code = self.code.get((), "")
        for m in re.finditer(r"(^|[;{}\n])\s*(pub(\([^)]*\))?\s+)?use\s+([^;]+);", code):
            for path, alias in expand_use_tree(m.group(4)):
                parts = [p for p in path.replace(" ", "").split("::") if p]
                if not parts or path.endswith("::*"):
                    continue
                name = alias or parts[-1]
                if parts == ["crate"]:
                    aliases[name] = ()
                elif parts[0] not in ("crate", "self", "super") and (parts[0],) not in self.mods:
                    aliases[name] = None
        return aliases

    def absolute(self, mod, path):
        """`path` written in `mod` as an absolute tuple, or None for an outside crate."""
        parts = [p for p in path.replace(" ", "").split("::") if p]
        if not parts:
            return None
        base = list(mod)
        if parts[0] == "crate":
            base, parts = [], parts[1:]
        elif parts[0] in ("super", "self"):
            while parts and parts[0] in ("super", "self"):
                if parts[0] == "super":
                    if not base:
                        return None
                    base = base[:-1]
                parts = parts[1:]
        elif tuple(base + [parts[0]]) in self.mods:
            pass  # a child module named without self::
        else:
            return None
        full = base + parts
        while full and full[0] in self.aliases and (full[0],) not in self.mods:
            if self.aliases[full[0]] is None:
                return None  # another crate, named through a root alias
            full = full[1:]
        return tuple(full)

    def defining_file(self, absolute, seen=None):
        """The module whose file defines the item at `absolute` (re-exports followed)."""
        seen = seen or set()
        for k in range(len(absolute), -1, -1):
            mod = absolute[:k]
            if mod in self.mods:
                rest = absolute[k:]
                if rest and rest[0] in self.reexports[mod] and (mod, rest[0]) not in seen:
                    seen.add((mod, rest[0]))
                    target = self.reexports[mod][rest[0]] + rest[1:]
                    return self.defining_file(target, seen)
                return mod
        return None

    def edges(self):
        """{(a, b): example path} for every file-level dependency a -> b (a != b)."""
        edges = {}
        for mod, code in self.code.items():
            paths = list(self.uses[mod])
            for m in re.finditer(r"(?<![A-Za-z0-9_:])((?:crate|super|self)(?:::" + IDENT + r")+)", code):
                start = code.rfind("\n", 0, m.start()) + 1
                line = code[start:m.start()]
                if re.match(r"\s*(pub(\([^)]*\))?\s+)?use\b", line):
                    continue  # already read as a use tree
                absolute = self.absolute(mod, m.group(1))
                if absolute is not None:
                    paths.append(absolute)
            # A name this file re-exports is an edge too where the file itself uses it.
            body = re.sub(r"(^|[;{}\n])\s*(pub(\([^)]*\))?\s+)?use\s+[^;]+;", "\\1", code)
            for name, absolute in self.reexports[mod].items():
                word = re.escape(name)
                if name[0].islower():
                    # A function or module: called or named as a path, not a field or a binding.
                    pattern = r"(?<![A-Za-z0-9_.])(?<!fn )" + word + r"\s*(\(|::)"
                else:
                    pattern = r"(?<![A-Za-z0-9_.])" + word + r"(?![A-Za-z0-9_])"
                if re.search(pattern, body):
                    paths.append(absolute)
            for absolute in paths:
                target = self.defining_file(absolute)
                if target is not None and target != mod:
                    edges.setdefault((mod, target), "::".join(absolute))
        return edges


def strongly_connected(nodes, edges):
    index, low, stack, on, out = {}, {}, [], set(), []
    succ = {n: [] for n in nodes}
    for a, b in edges:
        succ[a].append(b)
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in succ[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for n in nodes:
        if n not in index:
            visit(n)
    return sorted(out, key=len)


def tree_cycles(root, under=None):
    """The cycles of one tree: [(relative file names, [edge lines])]."""
    tree = Tree(root)
    edges = tree.edges()
    rel = lambda m: os.path.relpath(tree.mods[m], root)
    cycles = strongly_connected(list(tree.mods), edges)
    if under:
        cycles = [c for c in cycles if all(rel(m).startswith(under + "/") or rel(m) == under + ".rs" for m in c)]
    out = []
    for comp in cycles:
        lines = []
        for a in comp:
            for b in comp:
                if (a, b) in edges:
                    lines.append(f"  {rel(a)} -> {rel(b)}   ({edges[(a, b)]})")
        out.append(([rel(m) for m in comp], lines))
    return out


def workspace_trees(repo):
    """Every crate's source tree: crates/*/src, then harness/src (relative to `repo`)."""
    crates = os.path.join(repo, "crates")
    trees = []
    if os.path.isdir(crates):
        for name in sorted(os.listdir(crates)):
            src = os.path.join("crates", name, "src")
            if os.path.isdir(os.path.join(repo, src)):
                trees.append(src)
    trees.append("harness/src")
    return trees


def main():
    args = sys.argv[1:]
    under = None
    if "--under" in args:
        k = args.index("--under")
        under = args[k + 1].strip("/")
        del args[k:k + 2]
    skips = []
    while "--skip" in args:
        k = args.index("--skip")
        skips.append(os.path.normpath(args[k + 1]))
        del args[k:k + 2]
    if args:
        repo, roots = ".", [args[0]]
    else:
        repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        roots = workspace_trees(repo)
    found = 0
    for root in roots:
        cycles = tree_cycles(os.path.join(repo, root), under)
        inside = lambda f, d: os.path.normpath(os.path.join(root, f)).startswith(d + os.sep)
        cycles = [c for c in cycles if not any(all(inside(f, d) for f in c[0]) for d in skips)]
        for files, lines in cycles:
            print(f"cycle of {len(files)} files in {root}:")
            for line in lines:
                print(line)
        if not cycles:
            print(f"no file cycles under {root}" + (f"/{under}" if under else ""))
        found += len(cycles)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
