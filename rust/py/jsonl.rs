//! `join_json_lines`: argument parsing, one call into the pure core (`crate::jsonl`).

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::jsonl as core;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(join_json_lines, m)?)?;
    Ok(())
}

/// Each already-serialized item followed by b"\n", in one buffer: what FastAPI streams item by
/// item (`serialized + b"\n"`), joined for one send.
///
/// `items` is a sequence (list, tuple, any iterable) of bytes; any other item raises TypeError
/// naming its index.
#[pyfunction]
#[pyo3(signature = (items, /))]
fn join_json_lines<'py>(
    py: Python<'py>,
    items: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    if items.is_instance_of::<PyBytes>() {
        // Iterating bytes gives ints; say what went wrong instead.
        return Err(PyTypeError::new_err(
            "items must be a sequence of bytes, not bytes",
        ));
    }
    let items = items
        .try_iter()?
        .enumerate()
        .map(|(index, item)| {
            let item = item?;
            item.cast_into::<PyBytes>()
                .map_err(|e| item_type_error(index, &e.into_inner()))
        })
        .collect::<PyResult<Vec<_>>>()?;
    let slices: Vec<&[u8]> = items.iter().map(|b| b.as_bytes()).collect();
    Ok(PyBytes::new(py, &core::join_lines(&slices)))
}

#[cold]
fn item_type_error(index: usize, item: &Bound<'_, PyAny>) -> PyErr {
    PyTypeError::new_err(format!(
        "items[{index}] must be bytes, not {}",
        type_name(item)
    ))
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n: Bound<'_, PyString>| n.to_string())
}
