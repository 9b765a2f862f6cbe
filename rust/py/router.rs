//! `Router`: the native route table (`crate::router`) behind one call per request.
//!
//! Everything constant is built at construction: the trie, the parameter names as interned
//! Python strings, the `uuid.UUID` class. `resolve` parses its arguments, calls the core once,
//! and only then touches Python objects, for the returned tuple and parameter dict. The class is
//! frozen: no borrow flag, no lock, safe to share between threads.

use pyo3::exceptions::{PySystemError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyFloat, PyInt, PyString, PyTuple};

use crate::router::{Convertor, Hit, Kind, Outcome, RouteError, RouteTable, Scope, Spec};

const ROUTE_HTTP: i64 = 0;
const ROUTE_WEBSOCKET: i64 = 1;
const ROUTE_MOUNT: i64 = 2;
const SCOPE_HTTP: i64 = 0;
const SCOPE_WEBSOCKET: i64 = 1;
const FOUND: i64 = 0;
const METHOD_NOT_ALLOWED: i64 = 1;
const REDIRECT: i64 = 2;
const NOT_FOUND: i64 = 3;

/// Parameters of up to this many slots are captured in a stack buffer.
const INLINE_PARAMS: usize = 8;
/// Digit strings this short fit an i64: converted without calling `int()`.
const I64_DIGITS: usize = 18;
/// The smallest digit limit Python accepts besides 0 (none): `sys.set_int_max_str_digits` and
/// `-X int_max_str_digits` refuse less. No parameter of a path this short can be over the limit.
const MIN_INT_MAX_STR_DIGITS: usize = 640;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    for (name, value) in [
        ("ROUTE_HTTP", ROUTE_HTTP),
        ("ROUTE_WEBSOCKET", ROUTE_WEBSOCKET),
        ("ROUTE_MOUNT", ROUTE_MOUNT),
        ("SCOPE_HTTP", SCOPE_HTTP),
        ("SCOPE_WEBSOCKET", SCOPE_WEBSOCKET),
        ("FOUND", FOUND),
        ("METHOD_NOT_ALLOWED", METHOD_NOT_ALLOWED),
        ("REDIRECT", REDIRECT),
        ("NOT_FOUND", NOT_FOUND),
    ] {
        m.add(name, value)?;
    }
    m.add_class::<Router>()?;
    Ok(())
}

/// A frozen route table compiled once from plain specs `(index, path_template, kind, methods)`;
/// `resolve` answers as starlette's ordered scan of the same routes would.
#[pyclass(frozen, module = "ferroapi._ferroapi")]
pub struct Router {
    table: RouteTable,
    /// Interned parameter names, per route rank.
    names: Vec<Box<[Py<PyString>]>>,
    uuid_class: Py<PyAny>,
}

#[pymethods]
impl Router {
    #[new]
    #[pyo3(signature = (specs, redirect_slashes = true))]
    fn new(py: Python<'_>, specs: &Bound<'_, PyAny>, redirect_slashes: bool) -> PyResult<Self> {
        let owned = specs
            .try_iter()?
            .map(|item| extract_spec(&item?))
            .collect::<PyResult<Vec<_>>>()?;
        let specs = owned.iter().map(|(index, template, kind, methods)| Spec {
            index: *index,
            template,
            kind: *kind,
            methods: methods.clone(),
        });
        let table = RouteTable::new(specs, redirect_slashes).map_err(route_error)?;
        let names = table
            .routes()
            .iter()
            .map(|r| {
                r.names
                    .iter()
                    .map(|n| PyString::intern(py, n).unbind())
                    .collect()
            })
            .collect();
        let uuid_class = py.import("uuid")?.getattr("UUID")?.unbind();
        Ok(Self {
            table,
            names,
            uuid_class,
        })
    }

    /// `(FOUND, index, params)`, `(METHOD_NOT_ALLOWED, index, params)`,
    /// `(REDIRECT, index, other_path)` or `(NOT_FOUND, -1, None)`; `path` is the route path
    /// (root_path already removed), parameters converted as starlette's convertors do. A path with
    /// lone surrogates cannot be borrowed as UTF-8 and raises UnicodeEncodeError; ASGI servers
    /// decode paths with errors="replace", so none reaches here in practice.
    fn resolve<'py>(
        &self,
        py: Python<'py>,
        scope_type: i64,
        method: &str,
        path: &str,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let limit = int_digit_limit(py, path)?;
        let outcome = self
            .table
            .resolve_limited(scope(scope_type)?, method, path, limit);
        let (code, index, payload) = match outcome {
            Outcome::Found(hit) => (FOUND, to_i64(hit.route.index), self.params(py, &hit)?),
            Outcome::MethodNotAllowed(hit) => (
                METHOD_NOT_ALLOWED,
                to_i64(hit.route.index),
                self.params(py, &hit)?,
            ),
            Outcome::Redirect { index, path } => {
                (REDIRECT, to_i64(index), PyString::new(py, &path).into_any())
            }
            Outcome::NotFound => (NOT_FOUND, -1, py.None().into_bound(py)),
        };
        (code, index, payload).into_pyobject(py)
    }

    /// True when any route matches `path` FULL or PARTIAL (the redirect_slashes probe), with
    /// `resolve`'s digit limit: a redirect is never made to a path only an over-long int matches.
    fn matches_any(&self, py: Python<'_>, scope_type: i64, path: &str) -> PyResult<bool> {
        let limit = int_digit_limit(py, path)?;
        Ok(self
            .table
            .matches_any_limited(scope(scope_type)?, path, limit))
    }

    fn __len__(&self) -> usize {
        self.table.len()
    }
}

impl Router {
    /// The matched route's parameters as a dict, in template order, converted.
    fn params<'py>(&self, py: Python<'py>, hit: &Hit<'_, '_>) -> PyResult<Bound<'py, PyAny>> {
        let count = hit.route.names.len();
        let mut inline = [""; INLINE_PARAMS];
        let mut heap = Vec::new();
        let values: &mut [&str] = if count <= INLINE_PARAMS {
            inline.get_mut(..count).unwrap_or_default()
        } else {
            heap.resize(count, "");
            &mut heap
        };
        if !hit.captures(values) {
            return Err(internal_error(hit.path));
        }
        let dict = PyDict::new(py);
        let names = self.names.get(hit.rank).map_or(&[][..], |n| &n[..]);
        for ((name, conv), value) in names.iter().zip(&*hit.route.convertors).zip(values.iter()) {
            dict.set_item(name.bind(py), self.convert(py, *conv, value)?)?;
        }
        Ok(dict.into_any())
    }

    /// starlette's `Convertor.convert`.
    fn convert<'py>(
        &self,
        py: Python<'py>,
        conv: Convertor,
        value: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        match conv {
            Convertor::Str | Convertor::Path => Ok(PyString::new(py, value).into_any()),
            Convertor::Int => match value.parse::<i64>() {
                Ok(n) if value.len() <= I64_DIGITS => Ok(n.into_pyobject(py)?.into_any()),
                // Arbitrary size, and Python's own limit on digits (int_max_str_digits) applies.
                _ => py.get_type::<PyInt>().call1((value,)),
            },
            // Rust's parse is correctly rounded, as is float(): same value for `[0-9]+(\.[0-9]+)?`.
            Convertor::Float => match value.parse::<f64>() {
                Ok(f) => Ok(PyFloat::new(py, f).into_any()),
                Err(_) => py.get_type::<PyFloat>().call1((value,)),
            },
            Convertor::Uuid => self.uuid_class.bind(py).call1((value,)),
        }
    }
}

/// The digit limit of `int()` (`sys.get_int_max_str_digits()`, None when unlimited) if `path` is
/// long enough for it to matter, else None without asking Python.
///
/// starlette converts an `{x:int}` parameter with `int()`, which raises ValueError past the limit
/// (FastAPI answers 500); the table instead lets such a route not match, as if its regex had
/// failed. Read per call, as the limit can change at run time; only for paths over 640 bytes.
fn int_digit_limit(py: Python<'_>, path: &str) -> PyResult<Option<usize>> {
    if path.len() <= MIN_INT_MAX_STR_DIGITS {
        return Ok(None);
    }
    read_int_digit_limit(py)
}

#[cold]
fn read_int_digit_limit(py: Python<'_>) -> PyResult<Option<usize>> {
    // None: a Python without the limit (before 3.10.7), whose int() takes any length.
    static GET_LIMIT: PyOnceLock<Option<Py<PyAny>>> = PyOnceLock::new();
    let get_limit = GET_LIMIT.get_or_try_init(py, || {
        PyResult::Ok(
            py.import("sys")?
                .getattr("get_int_max_str_digits")
                .ok()
                .map(Bound::unbind),
        )
    })?;
    let Some(get_limit) = get_limit else {
        return Ok(None);
    };
    let limit: usize = get_limit.bind(py).call0()?.extract()?;
    Ok((limit > 0).then_some(limit))
}

/// One spec tuple: `(index, path_template, kind, methods)`.
fn extract_spec(item: &Bound<'_, PyAny>) -> PyResult<(usize, String, Kind, Option<Vec<String>>)> {
    let (index, template, kind, methods): (i64, String, i64, Option<Bound<'_, PyAny>>) =
        item.extract()?;
    let index = usize::try_from(index).map_err(|_| {
        PyValueError::new_err(format!(
            "route index must be >= 0, got {index} ({template:?})"
        ))
    })?;
    let kind = match kind {
        ROUTE_HTTP => Kind::Http,
        ROUTE_WEBSOCKET => Kind::WebSocket,
        ROUTE_MOUNT => Kind::Mount,
        _ => {
            return Err(PyValueError::new_err(format!(
                "unknown route kind {kind} for route {template:?}"
            )))
        }
    };
    let methods = match methods {
        None => None,
        // A str is a collection of one-letter strs: {"G", "E", "T"} is never what was meant.
        Some(m) if m.is_instance_of::<PyString>() => {
            return Err(PyTypeError::new_err(format!(
                "methods must be a collection of str, not a str ({template:?})"
            )))
        }
        Some(m) => Some(
            m.try_iter()?
                .map(|x| x?.extract::<String>())
                .collect::<PyResult<Vec<_>>>()?,
        ),
    };
    Ok((index, template, kind, methods))
}

fn scope(scope_type: i64) -> PyResult<Scope> {
    match scope_type {
        SCOPE_HTTP => Ok(Scope::Http),
        SCOPE_WEBSOCKET => Ok(Scope::WebSocket),
        _ => Err(bad_scope(scope_type)),
    }
}

/// Indices come from Python ints that fitted an i64 on the way in.
fn to_i64(index: usize) -> i64 {
    i64::try_from(index).unwrap_or(i64::MAX)
}

#[cold]
fn bad_scope(scope_type: i64) -> PyErr {
    PyValueError::new_err(format!("unknown scope type {scope_type}"))
}

#[cold]
fn route_error(err: RouteError) -> PyErr {
    PyValueError::new_err(err.to_string())
}

#[cold]
fn internal_error(path: &str) -> PyErr {
    PySystemError::new_err(format!(
        "router: trie and route matcher disagree on {path:?}"
    ))
}
