//! `parse_query_string`: argument parsing, one call into the pure core (`crate::query`).

use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple};

use crate::query as core;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(parse_query_string, m)?)?;
    Ok(())
}

/// `parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)`: the (name, value) pairs
/// starlette's `QueryParams` holds, in one call.
#[pyfunction]
#[pyo3(signature = (query_string, /))]
fn parse_query_string<'py>(py: Python<'py>, query_string: &[u8]) -> PyResult<Bound<'py, PyList>> {
    let pairs = core::parse_query(query_string);
    let items = pairs
        .iter()
        .map(|(name, value)| PyTuple::new(py, [PyString::new(py, name), PyString::new(py, value)]));
    let items = items.collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, items)
}
