"""Cross-language files (issue 6): Python, C, Go and Rust each write the dataset
of tests/interop/README.md with their own binding, and each of them reads every
file back; all sixteen readings must equal the summary computed here from first
principles. The Go and Rust toolchains are required (missing ones fail)."""
from __future__ import annotations

import hashlib
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
INTEROP = ROOT / "tests" / "interop"
LIB_DIR = ROOT / "build" / "lib"
LANGS = ["python", "c", "go", "rust"]


def tool(name: str) -> str:
    path = shutil.which(name) or (str(Path.home() / ".cargo" / "bin" / name)
                                  if (Path.home() / ".cargo" / "bin" / name).exists() else None)
    assert path, f"{name} is required for the cross-language test and was not found"
    return path


@pytest.fixture(scope="module")
def programs(tmp_path_factory) -> dict[str, list[str]]:
    assert (LIB_DIR / "libzova_c.a").exists(), "run `python build.py lib` (the test command does)"
    out = tmp_path_factory.mktemp("interop-bin")
    c_binary = out / "interop-c"
    subprocess.run([tool("gcc"), "-std=c99", "-pedantic", "-Wall", "-Werror", f"-I{ROOT / 'include'}",
                    f"-I{ROOT / 'tests' / 'c'}", str(ROOT / "tests" / "c" / "interop.c"),
                    str(LIB_DIR / "libzova_c.a"), "-lpthread", "-ldl", "-lm", "-o", str(c_binary)], check=True)
    go_binary = out / "interop-go"
    go_env = dict(os.environ, CGO_ENABLED="1", CGO_CFLAGS=f"-I{ROOT / 'include'}",
                  CGO_LDFLAGS=f"-L{LIB_DIR} -Wl,-Bstatic -lzova_c -Wl,-Bdynamic", GOFLAGS="-mod=mod",
                  GOPROXY="off", GOTOOLCHAIN="local")
    subprocess.run([tool("go"), "build", "-o", str(go_binary), "."], cwd=INTEROP / "go", env=go_env, check=True)
    target = ROOT / "bindings" / "rust" / "target"
    rust_env = dict(os.environ, ZOVA_LIB_DIR=str(LIB_DIR), CARGO_TARGET_DIR=str(target))
    subprocess.run([tool("cargo"), "build", "--offline", "--quiet"], cwd=INTEROP / "rust", env=rust_env,
                   check=True)
    return {
        "python": [sys.executable, str(INTEROP / "interop.py")],
        "c": [str(c_binary)],
        "go": [str(go_binary)],
        "rust": [str(target / "debug" / "zova-interop")],
    }


def expected_summary(writer: str) -> str:
    a = bytes((i * 7 + 3) % 256 for i in range(150_000))
    c = bytes((i * 13) % 251 for i in range(100_000))
    id_a, id_c = hashlib.sha256(a).hexdigest(), hashlib.sha256(c).hexdigest()
    vectors = {"v1": [1, 0, 0, 0], "v2": [0.5, 0.5, 0, 0], "v3": [0, 1, 0, 0], "v4": [0, 0, 1, 1]}
    query = [1, 0, 0, 0]

    def cosine(v):
        return 1 - sum(x * y for x, y in zip(v, query)) / (math.sqrt(sum(x * x for x in v)) * 1.0)

    ranked = sorted(vectors, key=lambda name: (cosine(vectors[name]), name))[:3]
    return "\n".join([
        f"writer={writer}",
        f"people=ada:{id_a},grace:{id_c},linus:null",
        f"object={id_a}:150000:ok",
        f"object={id_c}:100000:ok",
        "search=" + ",".join(f"{name}:{cosine(vectors[name]):.6f}" for name in ranked),
    ])


@pytest.mark.parametrize("writer", LANGS)
def test_every_language_reads_every_languages_file(programs, tmp_path, writer):
    path = tmp_path / f"{writer}.zova"
    subprocess.run([*programs[writer], "write", str(path), writer], check=True, timeout=300)
    for reader in LANGS:
        result = subprocess.run([*programs[reader], "read", str(path)], capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, f"{reader} reading {writer}'s file: {result.stderr}"
        assert result.stdout.strip() == expected_summary(writer), f"{reader} reading {writer}'s file"
