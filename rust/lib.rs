//! Native core of ferroapi.
//!
//! The core modules are pure Rust and know nothing of Python: they are unit-, property- and
//! fuzz-tested with `cargo test` alone. The PyO3 binding lives in `py/` (the only folder that names
//! pyo3) and is compiled only with the `python` feature, which maturin turns on.

pub mod json;
pub mod jsonl;
pub mod query;
pub mod router;
pub mod sse;

#[cfg(feature = "python")]
mod py;
