//! Safe Rust API for Zova (placeholder).
