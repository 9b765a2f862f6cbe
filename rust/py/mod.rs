//! The PyO3 binding: argument parsing, one call into the core, one error mapping.
//! `mod.rs` only registers the submodules' functions and classes on `ferroapi._ferroapi`.

use pyo3::prelude::*;

mod json;
mod jsonl;
mod query;
mod router;
mod sse;

#[pymodule]
fn _ferroapi(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    router::register(m)?;
    json::register(m)?;
    sse::register(m)?;
    jsonl::register(m)?;
    query::register(m)?;
    Ok(())
}
