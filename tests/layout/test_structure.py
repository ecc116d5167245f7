"""The layout's rules, checked on the source (with ast, nothing imported):

  * numpy_softmax's top-level modules (the math: kernels, ops, model, sgd, loop, steppers, gradcheck, ...)
    import NumPy and small parts of the standard library, never file, network, process or
    serialisation modules; all I/O lives in numpy_softmax/data/;
  * no module imports a private (_name) module or name of ANOTHER package (tests/ and
    parity_tests/ count as packages of their own); inside one package private imports are fine.
"""
import ast
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]  # tests/layout/ -> the repository
PACKAGES = ("numpy_softmax", "tf_softmax", "softmax_parity", "parity_tests", "tests")
IO_MODULES = {"os", "io", "gzip", "urllib", "pickle", "zipfile", "tempfile", "json", "re",
              "hashlib", "shutil", "subprocess", "socket", "lzma", "zlib", "bz2", "pathlib",
              "http"}


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def absolute_imports(path: Path):
    """(line, module, names) for every absolute import in the file, at any depth
    (`import a.b` gives names ()); relative imports stay inside their package and are skipped."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, ()
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module, tuple(a.name for a in node.names)


def io_imports(path: Path) -> list[str]:
    return [f"{path.relative_to(ROOT)}:{line}: {module}"
            for line, module, _ in absolute_imports(path)
            if module.split(".")[0] in IO_MODULES]


def cross_package_private_imports(path: Path, root: Path = ROOT) -> list[str]:
    """Imports in `path` of a private module or name belonging to another first-party package
    (the file's package is its first folder under `root`)."""
    own = path.relative_to(root).parts[0]
    found = []
    for line, module, names in absolute_imports(path):
        parts = module.split(".")
        if parts[0] not in PACKAGES or parts[0] == own:
            continue  # third-party (numpy._core, ...) or the file's own package
        private = [p for p in parts if is_private(p)] + [n for n in names if is_private(n)]
        if private:
            what = f"from {module} import {', '.join(names)}" if names else f"import {module}"
            found.append(f"{path.relative_to(root)}:{line}: {what}")
    return found


def python_files(*packages):
    for pkg in packages:
        yield from sorted((ROOT / pkg).rglob("*.py"))


def test_the_math_modules_of_numpy_softmax_import_no_io():
    modules = sorted((ROOT / "numpy_softmax").glob("*.py"))  # not the data subpackage
    assert {p.stem for p in modules} >= {"kernels", "ops", "model", "sgd", "loop", "steppers",
                                         "gradcheck", "tolerances"}
    bad = [hit for p in modules for hit in io_imports(p)]
    assert bad == [], "I/O imports outside numpy_softmax/data/:\n" + "\n".join(bad)


def test_the_io_check_sees_imports_at_any_depth(tmp_path):
    """The checker itself: a lazy import inside a function counts, a relative one does not."""
    f = ROOT / "numpy_softmax" / "data" / "files.py"  # the data package may import os
    assert any(hit.endswith(": os") for hit in io_imports(f))
    src = "def f():\n    import urllib.request\n    from .os import x\n"
    assert [m for _, m, _ in absolute_imports(_write(tmp_path / "m.py", src))] == \
        ["urllib.request"]


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_no_module_imports_another_packages_private_names():
    bad = [hit for p in python_files(*PACKAGES) for hit in cross_package_private_imports(p)]
    assert bad == [], "private imports across packages:\n" + "\n".join(bad)


def test_the_private_import_check_catches_each_form(tmp_path):
    pkg = tmp_path / "tests"
    pkg.mkdir()
    src = ("from numpy_softmax import _validate, Params\n"
           "import tf_softmax._tf\n"
           "from numpy_softmax.ops import _onehot\n"
           "from numpy_softmax._x.y import z\n"
           "from numpy_softmax import __version__\n"  # dunders are not private
           "from numpy._core import multiarray\n"  # third-party: outside the rule
           "from tests._helpers import h\n")  # the file's own package
    got = cross_package_private_imports(_write(pkg / "t.py", src), root=tmp_path)
    assert [g.split(": ", 1)[1] for g in got] == [
        "from numpy_softmax import _validate, Params", "import tf_softmax._tf",
        "from numpy_softmax.ops import _onehot", "from numpy_softmax._x.y import z"]


def test_importing_the_data_package_loads_no_network_or_process_modules(python_process):
    code = ("import sys, numpy_softmax, numpy_softmax.data, numpy_softmax.steppers; "
            "print(sorted(m for m in ('urllib.request', 'http.client', 'subprocess') "
            "if m in sys.modules))")
    r = python_process("-c", code)
    assert r.code == 0, r.err
    assert r.out.strip() == "[]"
