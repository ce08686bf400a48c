"""The README's examples run as written (issue 6: a tested example per language):
every ```python block runs in a fresh directory, the ```c block compiles as C99
against libzova_c.a and runs, the ```go block builds as a program against
bindings/go, and the ```rust block builds as a program against bindings/rust."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
LIB_DIR = ROOT / "build" / "lib"


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", README, flags=re.M | re.S)


def tool(name: str) -> str:
    cargo_home = Path.home() / ".cargo" / "bin" / name
    path = shutil.which(name) or (str(cargo_home) if cargo_home.exists() else None)
    assert path, f"{name} is required to test the README's example and was not found"
    return path


def test_readme_has_an_example_per_language():
    assert len(blocks("python")) >= 4
    for language in ("c", "go", "rust", "sql", "sh"):
        assert blocks(language), f"no ```{language} block in README.md"


@pytest.mark.parametrize("index", range(len(blocks("python"))))
def test_python_example(tmp_path, index):
    source = tmp_path / "example.py"
    source.write_text(blocks("python")[index])
    result = subprocess.run([sys.executable, str(source)], cwd=tmp_path, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr


def c_recipe() -> list[str]:
    """The command lines of the ```sh block of README's "## C" section."""
    section = README[README.index("\n## C\n"):]
    block = re.search(r"^```sh\n(.*?)^```$", section, flags=re.M | re.S).group(1)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.split("#")[0].strip()]


def test_c_example_with_the_pkg_config_recipe(tmp_path):
    """README "## C" as a user runs it: install into ~/.local, then each `cc`
    line builds the ```c block as hello.c and ./hello runs (no LD_LIBRARY_PATH)."""
    recipe = c_recipe()
    assert recipe[0].startswith("python3 build.py install"), recipe
    assert any("zova-static" in line for line in recipe) and recipe[-1] == "./hello", recipe
    (tmp_path / "hello.c").write_text(blocks("c")[0])
    env = {key: value for key, value in os.environ.items() if key not in ("LD_LIBRARY_PATH", "PKG_CONFIG_PATH")}
    env["HOME"] = str(tmp_path / "home")
    built = 0
    for line in recipe:
        if line.startswith("export "):
            name, value = line[len("export "):].split("=", 1)
            env[name] = value.replace("~", env["HOME"])
        elif line.startswith("python3 build.py"):
            subprocess.run(["sh", "-c", line], cwd=ROOT, env=env, check=True, capture_output=True)
        elif line.startswith("cc "):
            subprocess.run(["sh", "-c", line], cwd=tmp_path, env=env, check=True)
            (tmp_path / "hello.zova").unlink(missing_ok=True)  # the program creates it
            result = subprocess.run([str(tmp_path / "hello")], cwd=tmp_path, env=env, capture_output=True,
                                    text=True, timeout=60)
            assert result.returncode == 0, (line, result.stderr)
            assert result.stdout == "hello, zova\n"
            linked = subprocess.run(["ldd", str(tmp_path / "hello")], capture_output=True, text=True).stdout
            assert ("libzova_c.so" in linked) == ("zova-static" not in line), (line, linked)
            built += 1
    assert built == 2


def test_go_example(tmp_path):
    (tmp_path / "main.go").write_text(blocks("go")[0])
    (tmp_path / "go.mod").write_text(
        "module readme\n\ngo 1.26\n\nrequire github.com/atasesli/zova/bindings/go v0.0.0\n\n"
        f"replace github.com/atasesli/zova/bindings/go => {ROOT / 'bindings' / 'go'}\n")
    # The module compiles its own copy of the C sources: no CGO_* flags, no libzova_c.
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CGO_", "ZOVA_"))}
    env.update(CGO_ENABLED="1", GOFLAGS="-mod=mod", GOPROXY="off", GOTOOLCHAIN="local")
    subprocess.run([tool("go"), "build", "-o", "example", "."], cwd=tmp_path, env=env, check=True)
    result = subprocess.run([str(tmp_path / "example")], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["hello, zova", "near 1"]


def test_rust_example(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.rs").write_text(blocks("rust")[0])
    (tmp_path / "Cargo.toml").write_text(
        '[package]\nname = "readme"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n[workspace]\n\n'
        f'[dependencies]\nzova = {{ path = "{ROOT / "bindings" / "rust" / "zova"}" }}\n')
    env = dict(os.environ, ZOVA_LIB_DIR=str(LIB_DIR), CARGO_TARGET_DIR=str(ROOT / "bindings" / "rust" / "target"))
    result = subprocess.run([tool("cargo"), "run", "--offline", "--quiet", "--bin", "readme"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["hello, zova", "near 1"]
