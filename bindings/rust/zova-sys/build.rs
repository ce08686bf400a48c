//! Builds (or finds) the static `libzova_c.a` and links it (docs/rust.md §4.2).
//!
//! * `DOCS_RS` set: build and link nothing.
//! * `ZOVA_LIB_DIR` set: that directory's `libzova_c.a` is linked as is (no
//!   build, no existence check: a missing archive fails at link time).
//! * Otherwise the crate's own copy of the C sources is compiled with the `cc`
//!   crate: `csrc/bundle.c` is the whole library as one translation unit (the
//!   SQLite amalgamation with internal linkage, then the C core), so only a C
//!   compiler is needed. `csrc/` is refreshed from the repository by
//!   `python3 build.py sync-bindings`; this script never runs Python.
//!
//! Dependents get the header directory as `DEP_ZOVA_INCLUDE` (`cargo:include`):
//! `ZOVA_INCLUDE_DIR` when set, otherwise the crate's `csrc/`, whose `zova.h`
//! is the header these declarations match.
//!
//! Links `static=zova_c` plus `pthread`, `dl` and `m` on Linux.
use std::env;
use std::fs;
use std::path::PathBuf;

fn build_bundled(csrc: &PathBuf) {
    let mut names: Vec<String> = fs::read_dir(csrc)
        .unwrap_or_else(|err| panic!("cannot read the bundled C sources in {}: {err}", csrc.display()))
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    // The directory itself too, so an added or removed file reruns the script.
    println!("cargo:rerun-if-changed=csrc");
    for name in &names {
        println!("cargo:rerun-if-changed=csrc/{name}");
    }
    if !names.iter().any(|name| name == "bundle.c") {
        panic!("{} has no bundle.c (run `python3 build.py sync-bindings` in the repository)", csrc.display());
    }
    let mut build = cc::Build::new();
    build.file(csrc.join("bundle.c")).include(csrc).warnings(false).extra_warnings(false);
    if !build.get_compiler().is_like_msvc() {
        // The flags of the library's own build (build.py lib), less -O2: the
        // optimization level follows cargo's profile. Only the zova_* functions
        // of zova.h have default visibility.
        build.std("c99").flag("-fvisibility=hidden");
    }
    build.compile("zova_c");
}

fn main() {
    for var in ["ZOVA_LIB_DIR", "ZOVA_INCLUDE_DIR", "DOCS_RS"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    println!("cargo:rerun-if-changed=build.rs");
    if env::var_os("DOCS_RS").is_some() {
        return;
    }
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let csrc = manifest.join("csrc");
    let include = env::var_os("ZOVA_INCLUDE_DIR").map(PathBuf::from).unwrap_or_else(|| csrc.clone());
    println!("cargo:include={}", include.display());
    match env::var_os("ZOVA_LIB_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            println!("cargo:rerun-if-changed={}", dir.join("libzova_c.a").display());
            println!("cargo:lib_dir={}", dir.display());
            println!("cargo:rustc-link-search=native={}", dir.display());
            println!("cargo:rustc-link-lib=static=zova_c");
        }
        // cc prints the link-search and `static=zova_c` lines itself.
        None => build_bundled(&csrc),
    }
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        for lib in ["pthread", "dl", "m"] {
            println!("cargo:rustc-link-lib=dylib={lib}");
        }
    }
}
