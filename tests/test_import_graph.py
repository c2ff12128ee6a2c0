"""ram_keras's modules import one another without a cycle.

Every `import ram_keras...` and `from ram_keras... import ...` counts, at the
top of a module and inside its functions alike (a function-level import hides
a cycle from Python, not from a reader). A package's `__init__` that Python
runs before a submodule is not an edge: a module depends on what it names.
"""

import ast
import os

from helpers import REPO

PACKAGE = os.path.join(REPO, "ram_keras")


def module_files():
    """`{dotted module name: file path}` of every module of ram_keras."""
    modules = {}
    for folder, _, files in os.walk(PACKAGE):
        for filename in files:
            if filename.endswith(".py"):
                path = os.path.join(folder, filename)
                name = os.path.relpath(path, REPO)[:-3].replace(os.sep, ".")
                modules[name.removesuffix(".__init__")] = path
    return modules


def imported_modules(name, path, modules):
    """The ram_keras modules that the module `name` imports anywhere in its file."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    package = name if path.endswith("__init__.py") else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's package, up level - 1
                parts = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                base = ".".join(parts + [base] if base else parts)
            # `from package import module` names the module; `from module import name`, the module.
            found.update(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                         for alias in node.names)
    return {module for module in found if module in modules and module != name}


def find_cycle(graph):
    """One cycle of `graph` (`{node: set of nodes}`) as a list of nodes, or None."""
    state = {}  # node: "open" while on the current path, "done" after

    def visit(node, path):
        state[node] = "open"
        path.append(node)
        for successor in sorted(graph[node]):
            if state.get(successor) == "open":
                return path[path.index(successor):] + [successor]
            if successor not in state:
                cycle = visit(successor, path)
                if cycle:
                    return cycle
        path.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node, [])
            if cycle:
                return cycle
    return None


def test_find_cycle_finds_a_cycle_and_only_one_that_is_there():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_the_import_graph_of_ram_keras_has_no_cycle():
    modules = module_files()
    graph = {name: imported_modules(name, path, modules) for name, path in modules.items()}
    # The graph is read as meant: function-level and package-level imports are edges.
    assert "ram_keras.tasks" in graph["ram_keras.evaluate"]
    assert "ram_keras.tasks.base" in graph["ram_keras.tasks.catch"]
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)
