//! `format_sse_event`, `format_sse_data_batch`, `KEEPALIVE_COMMENT`: argument parsing, one call
//! into the pure core (`crate::sse`), one error mapping.

use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::sse::{self as core, Event, SseError};

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add(
        "KEEPALIVE_COMMENT",
        PyBytes::new(m.py(), core::KEEPALIVE_COMMENT),
    )?;
    m.add_function(wrap_pyfunction!(format_sse_event, m)?)?;
    m.add_function(wrap_pyfunction!(format_sse_data_batch, m)?)?;
    Ok(())
}

/// Build one SSE frame from pre-serialized data, byte-identical to FastAPI's
/// `fastapi.sse.format_sse_event`.
///
/// Unlike FastAPI's raw formatter, it also enforces what FastAPI's `ServerSentEvent` validates, so
/// no value can inject fields or events: CR or LF in `event` or `id`, NUL in `id`, and a negative
/// `retry` raise ValueError (as does a `retry` above 2**64 - 1).
#[pyfunction]
#[pyo3(signature = (*, data_str=None, event=None, id=None, retry=None, comment=None))]
fn format_sse_event<'py>(
    py: Python<'py>,
    data_str: Option<&str>,
    event: Option<&str>,
    id: Option<&str>,
    retry: Option<&Bound<'py, PyAny>>,
    comment: Option<&str>,
) -> PyResult<Bound<'py, PyBytes>> {
    let event = Event {
        data: data_str,
        event,
        id,
        retry: retry.map(retry_ms).transpose()?,
        comment,
    };
    let frame = core::format_event(&event).map_err(sse_error)?;
    Ok(PyBytes::new(py, &frame))
}

/// Several data-only events framed into one buffer (a batch of ready items, one send): the
/// concatenation of `format_sse_event(data_str=s)` for each `s`.
#[pyfunction]
#[pyo3(signature = (data_strs, /))]
fn format_sse_data_batch<'py>(
    py: Python<'py>,
    data_strs: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    if data_strs.is_instance_of::<PyString>() {
        // A str is a sequence of one-character strs: framing each one is never what was meant.
        return Err(PyTypeError::new_err(
            "data_strs must be a sequence of str, not a str",
        ));
    }
    let items = data_strs
        .try_iter()?
        .enumerate()
        .map(|(index, item)| {
            item?
                .cast_into::<PyString>()
                .map_err(|e| item_type_error(index, &e.into_inner()))
        })
        .collect::<PyResult<Vec<_>>>()?;
    let strs = items
        .iter()
        .map(|s| s.to_str())
        .collect::<PyResult<Vec<_>>>()?;
    Ok(PyBytes::new(py, &core::format_data_batch(&strs)))
}

/// `retry` as milliseconds: any int (or `__index__` object) in `0..=u64::MAX`.
fn retry_ms(retry: &Bound<'_, PyAny>) -> PyResult<u64> {
    retry
        .extract::<u64>()
        .or_else(|err| retry_error(retry, err))
}

#[cold]
fn retry_error(retry: &Bound<'_, PyAny>, err: PyErr) -> PyResult<u64> {
    let py = retry.py();
    if err.is_instance_of::<PyOverflowError>(py) {
        // An integer outside u64: say which side, as a ValueError like FastAPI's model raises.
        // `operator.index` so that `__index__` objects compare by their integer value.
        let value = py.import("operator")?.call_method1("index", (retry,))?;
        return Err(if value.lt(0)? {
            PyValueError::new_err("SSE 'retry' must be a non-negative integer")
        } else {
            PyValueError::new_err(format!(
                "SSE 'retry' must be at most {} milliseconds",
                u64::MAX
            ))
        });
    }
    if err.is_instance_of::<PyTypeError>(py) {
        // Not an integer at all (a float, a str): name the argument in the message.
        return Err(PyTypeError::new_err(format!(
            "SSE 'retry' must be an int: {}",
            err.value(py)
        )));
    }
    Err(err)
}

#[cold]
fn sse_error(err: SseError) -> PyErr {
    PyValueError::new_err(err.to_string())
}

#[cold]
fn item_type_error(index: usize, item: &Bound<'_, PyAny>) -> PyErr {
    let name = item
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string());
    PyTypeError::new_err(format!("data_strs[{index}] must be str, not {name}"))
}
