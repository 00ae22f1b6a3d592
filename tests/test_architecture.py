"""The shape of the code, checked: imports run one way (library <- service <- api/cli),
modules stay small, and document metadata leaves the catalog typed."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "navsearch"
MAX_LINES = 500

# Each top-level part of the package and its layer: a module may import a part of a lower
# layer, or another module of its own part; nothing else. Kept in step with docs/DESIGN.md.
LAYERS: dict[str, float] = {
    # plain data, errors, settings: import nothing of navsearch but each other's lower ones
    "types": 0, "errors": 0, "settings": 0,
    "filters": 1, "progress": 1, "terms": 1, "numerals": 1, "citations": 1, "report": 1,
    "lexicon": 1.5,  # the bilingual dictionary: words to words, over terms
    # the library, from parsers and stores up to the features built on search
    "ingest": 2, "chunking": 2, "embedding": 2, "store": 2, "eval": 2,
    "indexer": 3, "retrieval": 3, "tune": 3,
    "index_state": 3,  # what is wrong with a published generation (the service's start, repair)
    "priorart": 4, "answer": 4,
    "distributed": 4,  # the Ray ingest: the indexer's steps on a cluster
    "cross_build": 4.2,  # when a generation's cross-language index is built (a server: in the background)
    "service_results": 4.5,  # the facade's plain records
    # the facade, then the interfaces over it
    "service": 5,
    "api": 6, "cli": 6,
}
# What the interfaces may use of the library: the facade and the plain vocabulary.
INTERFACE_MAY_IMPORT = {"service", "settings", "errors", "types", "filters"}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _part(module: str) -> str:
    return module.split(".")[1] if module.count(".") else ""


def _own_part(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("").parts
    return rel[0]


def _imports(path: Path) -> list[tuple[str, ast.AST]]:
    """(module, node) for every navsearch import in a file, relative ones resolved, lazy
    (function-level) imports included."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    out: list[tuple[str, ast.AST]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.extend((a.name, node) for a in node.names if a.name.startswith("navsearch"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], *([base] if base else [])])
            if base.startswith("navsearch"):
                out.append((base, node))
                if base == "navsearch":  # "from navsearch import x": x is the part
                    out.extend((f"navsearch.{a.name}", node) for a in node.names)
    return [(m, n) for m, n in out if m != "navsearch"]


def test_every_part_has_a_layer() -> None:
    parts = {_own_part(p) for p in _modules()} - {"__init__"}
    assert parts <= set(LAYERS), f"give these a layer: {sorted(parts - set(LAYERS))}"


def test_imports_run_one_way() -> None:
    bad = []
    for path in _modules():
        own = _own_part(path)
        if own == "__init__":
            continue
        for module, _ in _imports(path):
            part = _part(module)
            if part == own or (own, part) == ("cli", "api"):  # the serve command: checked below
                continue
            if LAYERS[part] >= LAYERS[own]:
                bad.append(f"{path.relative_to(ROOT)} imports {module} (layer {LAYERS[part]} >= {LAYERS[own]})")
            elif LAYERS[own] == LAYERS["api"] and part not in INTERFACE_MAY_IMPORT:
                bad.append(f"{path.relative_to(ROOT)} goes around the service: imports {module}")
    assert not bad, "\n".join(bad)


def test_store_never_imports_retrieval() -> None:
    """The seam a second store backend plugs into sees no search code (also implied by the
    layers; said on its own because it is the rule most likely to be broken)."""
    files = sorted((PACKAGE / "store").glob("*.py")) + [PACKAGE / "indexer.py"]
    bad = [f"{p.name}: {m}" for p in files for m, _ in _imports(p) if _part(m) == "retrieval"]
    assert not bad


def test_only_the_cli_serve_command_imports_the_http_app() -> None:
    importers = []
    for path in _modules():
        if _own_part(path) == "api":
            continue
        tree = ast.parse(path.read_text())
        for fn in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]:
            for node in ast.walk(fn):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("navsearch.api"):
                    importers.append(f"{path.name}:{fn.name}")
        top_level = [m for m, n in _imports(path) if _part(m) == "api"]
        assert len(top_level) == sum(1 for i in importers if i.startswith(path.name + ":")), path
    assert importers == ["cli.py:serve"]
    assert not (ROOT / "api").exists(), "the HTTP app lives in navsearch/api, nothing named api at top level"


def test_no_module_is_too_long() -> None:
    long = {str(p.relative_to(ROOT)): n for p in _modules() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"split these by concern: {long}"


def test_document_metadata_is_typed_in_public_signatures() -> None:
    """No public function takes or returns document metadata as a plain dict."""
    bad = []
    for path in _modules():
        for fn in ast.walk(ast.parse(path.read_text())):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or fn.name.startswith("_"):
                continue
            args = [*fn.args.args, *fn.args.kwonlyargs]
            for a in args:
                if "meta" in a.arg and a.annotation is not None and "dict" in ast.unparse(a.annotation):
                    if "DocumentMeta" not in ast.unparse(a.annotation):
                        bad.append(f"{path.name}:{fn.name}({a.arg}: {ast.unparse(a.annotation)})")
            if fn.returns is not None and "meta" in fn.name and "Any" in ast.unparse(fn.returns):
                bad.append(f"{path.name}:{fn.name} -> {ast.unparse(fn.returns)}")
    assert not bad, bad
