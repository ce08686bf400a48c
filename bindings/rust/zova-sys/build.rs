//! Finds (or builds) the static `libzova_c.a` and links it (cli-and-bindings §4.2).
//!
//! * `DOCS_RS` set: link nothing.
//! * `ZOVA_INCLUDE_DIR` set: exported to dependents as `DEP_ZOVA_INCLUDE`.
//! * `ZOVA_LIB_DIR` set: that directory is used as is (no build, no existence check).
//! * Otherwise the library is built from source by running the project's
//!   `build.py lib` (with `ZOVA_PYTHON`, default `python3`) in the source root:
//!   `ZOVA_SOURCE_DIR`, or the repository three directories up. The result,
//!   `<root>/build/lib/libzova_c.a`, must exist afterwards.
//!
//! Links `static=zova_c` plus `pthread`, `dl` and `m` on Linux.
use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn is_source_root(dir: &Path) -> bool {
    dir.join("build.py").is_file() && dir.join("include").join("zova.h").is_file() && dir.join("csrc").is_dir()
}

fn source_root() -> PathBuf {
    if let Some(dir) = env::var_os("ZOVA_SOURCE_DIR") {
        let dir = PathBuf::from(dir);
        if !is_source_root(&dir) {
            panic!("ZOVA_SOURCE_DIR={} has no build.py, include/zova.h and csrc/", dir.display());
        }
        return dir;
    }
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let repo = manifest.join("..").join("..").join("..");
    if is_source_root(&repo) {
        return repo.canonicalize().unwrap_or(repo);
    }
    panic!(
        "cannot find the Zova C sources (looked at {}); set ZOVA_LIB_DIR to a directory holding \
         libzova_c.a, or ZOVA_SOURCE_DIR to the repository root",
        repo.display()
    );
}

fn build_from_source() -> PathBuf {
    let root = source_root();
    for watched in ["build.py", "csrc", "include/zova.h", "vendor"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    let python = env::var("ZOVA_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let status = Command::new(&python)
        .arg("build.py")
        .arg("lib")
        .current_dir(&root)
        .status()
        .unwrap_or_else(|err| panic!("cannot run `{python} build.py lib` in {}: {err}", root.display()));
    if !status.success() {
        panic!("`{python} build.py lib` failed in {} ({status})", root.display());
    }
    let lib_dir = root.join("build").join("lib");
    let archive = lib_dir.join("libzova_c.a");
    if !archive.is_file() {
        panic!("`{python} build.py lib` did not produce {}", archive.display());
    }
    // No rerun-if-changed on the archive itself: build.py rewrites it on every
    // run, which would make every cargo invocation rebuild. The sources are watched.
    lib_dir
}

fn main() {
    for var in ["ZOVA_LIB_DIR", "ZOVA_INCLUDE_DIR", "ZOVA_SOURCE_DIR", "ZOVA_PYTHON", "DOCS_RS"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    println!("cargo:rerun-if-changed=build.rs");
    if env::var_os("DOCS_RS").is_some() {
        return;
    }
    if let Some(dir) = env::var_os("ZOVA_INCLUDE_DIR") {
        println!("cargo:include={}", PathBuf::from(dir).display());
    }
    let lib_dir = match env::var_os("ZOVA_LIB_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            println!("cargo:rerun-if-changed={}", dir.join("libzova_c.a").display());
            dir
        }
        None => build_from_source(),
    };
    println!("cargo:lib_dir={}", lib_dir.display());
    println!("cargo:rustc-link-search=native={}", lib_dir.display());
    println!("cargo:rustc-link-lib=static=zova_c");
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        for lib in ["pthread", "dl", "m"] {
            println!("cargo:rustc-link-lib=dylib={lib}");
        }
    }
}
