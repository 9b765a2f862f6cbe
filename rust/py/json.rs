//! `decode_json`: bytes -> Python objects through the pure core (`crate::json`), one call.
//!
//! Python objects are built by [`PyBuilder`]; object keys go through a small thread-local cache of
//! the `str` objects last made for them (request bodies repeat the same keys). Errors are mapped
//! once, off the hot path: `JSONDecodeError` (a `json.JSONDecodeError` subclass with json.loads'
//! msg/doc/pos), `JSONDepthError`, and for invalid UTF-8 the `UnicodeDecodeError` Python's own
//! decode raises.

use std::cell::RefCell;
use std::vec::Drain;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMemoryView, PyString,
};

use crate::json::{self as core, Builder, Encoding, ErrorKind, SyntaxError};

mod stdlib {
    pyo3::import_exception!(json, JSONDecodeError);
}

pyo3::create_exception!(
    ferroapi._ferroapi,
    JSONDecodeError,
    stdlib::JSONDecodeError,
    "Raised with the same (msg, doc, pos, lineno, colno) that json.loads gives for the same document."
);
pyo3::create_exception!(
    ferroapi._ferroapi,
    JSONDepthError,
    PyValueError,
    "The document nests arrays/objects deeper than max_depth."
);

/// Keys longer than this are not cached (they rarely repeat and would crowd the table).
const MAX_CACHED_KEY: usize = 64;
/// Slots in the key cache (a power of two).
const KEY_CACHE_SLOTS: usize = 2048;

/// A key's cheap fingerprint: its length and its first and last eight bytes (zero-padded). For
/// keys of up to 16 bytes the fingerprint is the whole key, so a hit needs no byte comparison.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Fingerprint {
    len: usize,
    head: u64,
    tail: u64,
}

/// The first eight bytes of `s` as a little-endian word, zero-padded; no memcpy call.
#[inline]
fn word(s: &[u8]) -> u64 {
    if let Some(Ok(arr)) = s.get(..8).map(<[u8; 8]>::try_from) {
        return u64::from_le_bytes(arr);
    }
    s.iter()
        .enumerate()
        .fold(0, |w, (i, &b)| w | (u64::from(b) << (8 * i)))
}

impl Fingerprint {
    #[inline]
    fn of(key: &str) -> Self {
        let b = key.as_bytes();
        let head = word(b);
        let tail = if b.len() > 8 {
            word(b.get(b.len() - 8..).unwrap_or_default())
        } else {
            0
        };
        Self {
            len: b.len(),
            head,
            tail,
        }
    }

    #[inline]
    fn slot(self) -> usize {
        let h = (self.head ^ self.tail.rotate_left(29) ^ (self.len as u64))
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (h >> 53) as usize & (KEY_CACHE_SLOTS - 1)
    }
}

/// A direct-mapped cache of key strings, kept per thread across calls.
///
/// The cached objects are plain `str`s the cache holds one reference to, never interned: on
/// CPython 3.12 interned strings are immortal, so interning the keys of request bodies would let a
/// client grow the server's memory for good with fresh keys. Evicting a key drops the cache's
/// reference; the bound is `KEY_CACHE_SLOTS` strings of at most `MAX_CACHED_KEY` bytes.
struct KeyCache {
    slots: Vec<Option<CachedKey>>,
}

/// One cached key: its fingerprint, its text (compared for keys over 16 bytes), the str object.
type CachedKey = (Fingerprint, Box<str>, Py<PyString>);

thread_local! {
    static KEY_CACHE: RefCell<KeyCache> = const { RefCell::new(KeyCache { slots: Vec::new() }) };
}

impl KeyCache {
    fn prepare(&mut self) {
        if self.slots.len() != KEY_CACHE_SLOTS {
            self.slots.resize_with(KEY_CACHE_SLOTS, || None);
        }
    }

    #[inline]
    fn get<'py>(&mut self, py: Python<'py>, key: &str) -> Bound<'py, PyAny> {
        let fp = Fingerprint::of(key);
        let Some(slot) = self.slots.get_mut(fp.slot()) else {
            return PyString::new(py, key).into_any();
        };
        if let Some((cached_fp, text, string)) = slot {
            if *cached_fp == fp && (fp.len <= 16 || &**text == key) {
                return string.bind(py).clone().into_any();
            }
        }
        // Not PyString::intern: see KeyCache (3.12 makes interned strings immortal).
        let string = PyString::new(py, key);
        *slot = Some((fp, key.into(), string.clone().unbind()));
        string.into_any()
    }
}

/// Lone surrogates: 0xD800..=0xDFFF.
const SURROGATES: usize = 0x800;
/// Up to this many pieces (runs of other code points, single surrogates), a string with surrogates
/// is concatenated from them; past it, decoded by the `unicode_escape` codec.
const MAX_CONCAT_PIECES: usize = 3;

/// A `str` holding lone surrogates, which no Rust `str` (so no `PyString::new`) can carry.
///
/// The codecs that accept surrogates from bytes (UTF-8/16/32 with `surrogatepass`) call that error
/// handler once per surrogate, building an exception each time: ~0.5 us per surrogate, 10-50
/// times json.loads (issue #12). Instead, a short string (`"a\ud800"`) is concatenated from its
/// pieces, each surrogate a shared one-character `str`; a longer one is written as
/// `unicode_escape` text and decoded by that codec, whose C decoder reads `\uXXXX` escapes,
/// surrogates included, at a few nanoseconds each (a codec call costs a few thousand
/// instructions: more than concatenating a few pieces, far less than one per surrogate).
#[cold]
fn wide_string<'py>(py: Python<'py>, code_points: &[u32]) -> PyResult<Bound<'py, PyAny>> {
    let mut pieces = 0;
    let mut in_run = false;
    for &cp in code_points {
        let surrogate = is_surrogate(cp);
        pieces += usize::from(surrogate || !in_run);
        in_run = !surrogate;
    }
    if pieces <= MAX_CONCAT_PIECES {
        concatenated(py, code_points)
    } else {
        unicode_escape_decoded(py, code_points)
    }
}

fn is_surrogate(cp: u32) -> bool {
    (0xD800..=0xDFFF).contains(&cp)
}

/// `wide_string` for a few pieces: each run of other code points made from UTF-8, each lone
/// surrogate a shared one-character `str`, concatenated.
fn concatenated<'py>(py: Python<'py>, code_points: &[u32]) -> PyResult<Bound<'py, PyAny>> {
    let mut string: Option<Bound<'py, PyAny>> = None;
    let mut append = |piece: Bound<'py, PyAny>| -> PyResult<()> {
        string = Some(match string.take() {
            Some(head) => head.add(piece)?,
            None => piece,
        });
        Ok(())
    };
    let mut run = String::new();
    for &cp in code_points {
        match char::from_u32(cp) {
            Some(c) => run.push(c),
            None => {
                if !run.is_empty() {
                    append(PyString::new(py, &run).into_any())?;
                    run.clear();
                }
                append(surrogate(py, cp)?)?;
            }
        }
    }
    if !run.is_empty() {
        append(PyString::new(py, &run).into_any())?;
    }
    Ok(string.unwrap_or_else(|| PyString::new(py, "").into_any()))
}

/// `wide_string` through the `unicode_escape` codec: code points past Latin-1 as `\uXXXX` /
/// `\UXXXXXXXX` escapes, a backslash as `\\`, other bytes as themselves (read as Latin-1).
fn unicode_escape_decoded<'py>(
    py: Python<'py>,
    code_points: &[u32],
) -> PyResult<Bound<'py, PyAny>> {
    static UNICODE_ESCAPE_DECODE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digit = |cp: u32, shift: u32| DIGITS[((cp >> shift) & 0xF) as usize];
    let mut escaped = Vec::with_capacity(code_points.len() * 6);
    for &cp in code_points {
        match u8::try_from(cp) {
            Ok(b'\\') => escaped.extend_from_slice(b"\\\\"),
            Ok(byte) => escaped.push(byte),
            Err(_) if cp <= 0xFFFF => escaped.extend_from_slice(&[
                b'\\',
                b'u',
                digit(cp, 12),
                digit(cp, 8),
                digit(cp, 4),
                digit(cp, 0),
            ]),
            Err(_) => escaped.extend_from_slice(&[
                b'\\',
                b'U',
                b'0',
                b'0',
                digit(cp, 20),
                digit(cp, 16),
                digit(cp, 12),
                digit(cp, 8),
                digit(cp, 4),
                digit(cp, 0),
            ]),
        }
    }
    let decode = UNICODE_ESCAPE_DECODE.import(py, "_codecs", "unicode_escape_decode")?;
    // It returns (str, bytes consumed).
    decode.call1((PyBytes::new(py, &escaped),))?.get_item(0)
}

/// The one-character `str` of the lone surrogate `cp`, shared: made on first use (`chr(cp)`).
fn surrogate<'py>(py: Python<'py>, cp: u32) -> PyResult<Bound<'py, PyAny>> {
    static CACHE: [PyOnceLock<Py<PyAny>>; SURROGATES] = [const { PyOnceLock::new() }; SURROGATES];
    let slot = cp
        .checked_sub(0xD800)
        .and_then(|i| CACHE.get(i as usize))
        .ok_or_else(|| PyValueError::new_err(format!("not a surrogate: U+{cp:04X}")))?;
    let string = slot.get_or_try_init(py, || {
        PyResult::Ok(
            py.import("builtins")?
                .getattr("chr")?
                .call1((cp,))?
                .unbind(),
        )
    })?;
    Ok(string.bind(py).clone())
}

/// Builds Python objects for the core parser.
struct PyBuilder<'py, 'c> {
    py: Python<'py>,
    /// The thread's key cache, borrowed for the whole call (None if already borrowed).
    keys: Option<&'c mut KeyCache>,
}

impl<'py> Builder for PyBuilder<'py, '_> {
    type Value = Bound<'py, PyAny>;
    type Error = PyErr;

    fn null(&mut self) -> PyResult<Self::Value> {
        Ok(self.py.None().into_bound(self.py))
    }

    fn boolean(&mut self, value: bool) -> PyResult<Self::Value> {
        Ok(PyBool::new(self.py, value).to_owned().into_any())
    }

    fn int(&mut self, value: i64) -> PyResult<Self::Value> {
        Ok(value.into_pyobject(self.py)?.into_any())
    }

    #[cold]
    fn big_int(&mut self, digits: &str) -> PyResult<Self::Value> {
        // int(str) exactly as json.loads does it, including sys.get_int_max_str_digits().
        self.py.get_type::<PyInt>().call1((digits,))
    }

    fn float(&mut self, value: f64) -> PyResult<Self::Value> {
        Ok(PyFloat::new(self.py, value).into_any())
    }

    fn string(&mut self, value: &str) -> PyResult<Self::Value> {
        Ok(PyString::new(self.py, value).into_any())
    }

    fn key(&mut self, key: &str) -> PyResult<Self::Value> {
        if key.len() > MAX_CACHED_KEY {
            return Ok(PyString::new(self.py, key).into_any());
        }
        Ok(match self.keys.as_deref_mut() {
            Some(cache) => cache.get(self.py, key),
            None => PyString::new(self.py, key).into_any(),
        })
    }

    fn wide_string(&mut self, code_points: &[u32]) -> PyResult<Self::Value> {
        wide_string(self.py, code_points)
    }

    fn array(&mut self, items: Drain<'_, Self::Value>) -> PyResult<Self::Value> {
        Ok(PyList::new(self.py, items)?.into_any())
    }

    fn object(&mut self, mut members: Drain<'_, Self::Value>) -> PyResult<Self::Value> {
        let dict = PyDict::new(self.py);
        // Dict assignment: a duplicate key keeps its first position and takes the last value.
        while let (Some(key), Some(value)) = (members.next(), members.next()) {
            dict.set_item(key, value)?;
        }
        Ok(dict.into_any())
    }
}

/// Maps a core syntax/depth/encoding error to the Python exception json.loads would raise.
#[cold]
fn raise(py: Python<'_>, raw: &[u8], encoding: Encoding, doc: &[u8], err: SyntaxError) -> PyErr {
    if err.kind == ErrorKind::InvalidUtf8 {
        // Let Python's codec raise its own UnicodeDecodeError (same start/end/reason as json.loads).
        return match PyBytes::new(py, raw)
            .call_method1("decode", (encoding.codec(), "surrogatepass"))
        {
            Err(e) => e,
            Ok(_) => PyValueError::new_err("invalid UTF-8"),
        };
    }
    let text = match PyBytes::new(py, doc).call_method1("decode", ("utf-8", "surrogatepass")) {
        Ok(text) => text,
        Err(e) => return e,
    };
    // CPython 3.13 reworded one error (and moved it to the comma): raise what this json.loads would.
    let (message, index) = match err.kind.json_message_313() {
        Some(newer) if py.version_info() >= (3, 13) => (Some(newer.0), newer.1),
        _ => (err.kind.json_message(), err.index),
    };
    let pos = core::char_index(doc, index);
    match message {
        Some(msg) => match py.get_type::<JSONDecodeError>().call1((msg, text, pos)) {
            Ok(exc) => PyErr::from_value(exc),
            Err(e) => e,
        },
        None => {
            let max_depth = match err.kind {
                ErrorKind::DepthExceeded { max_depth } => max_depth,
                _ => 0,
            };
            let line = doc[..err.index.min(doc.len())]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            let line_start = doc[..err.index.min(doc.len())]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let column = pos - core::char_index(doc, line_start) + 1;
            JSONDepthError::new_err(format!(
                "Nesting deeper than max_depth={max_depth}: line {line} column {column} (char {pos})"
            ))
        }
    }
}

/// Parses `doc` (UTF-8, no BOM); `raw`/`encoding` are what the caller passed, for error mapping.
fn decode_utf8<'py>(
    py: Python<'py>,
    raw: &[u8],
    encoding: Encoding,
    doc: &[u8],
    max_depth: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let result = KEY_CACHE.with(|cache| {
        let mut guard = cache.try_borrow_mut().ok();
        if let Some(cache) = guard.as_deref_mut() {
            cache.prepare();
        }
        core::decode(
            doc,
            max_depth,
            &mut PyBuilder {
                py,
                keys: guard.as_deref_mut(),
            },
        )
    });
    match result {
        Ok(value) => Ok(value),
        Err(core::Error::Builder(e)) => Err(e),
        Err(core::Error::Syntax(err)) => Err(raise(py, raw, encoding, doc, err)),
    }
}

/// Detects the encoding as json.loads does; UTF-16/32 documents are transcoded to UTF-8 first.
fn decode_bytes<'py>(py: Python<'py>, raw: &[u8], max_depth: usize) -> PyResult<Bound<'py, PyAny>> {
    match core::detect_encoding(raw) {
        encoding @ (Encoding::Utf8 | Encoding::Utf8Sig) => {
            decode_utf8(py, raw, encoding, core::strip_bom(raw), max_depth)
        }
        encoding @ Encoding::Other(codec) => {
            // Rare: decode like json.loads (same UnicodeDecodeError), then parse the UTF-8 form;
            // character positions are the same in both.
            let text = PyBytes::new(py, raw).call_method1("decode", (codec, "surrogatepass"))?;
            let utf8 = text.call_method1("encode", ("utf-8", "surrogatepass"))?;
            let utf8 = utf8.cast::<PyBytes>()?;
            decode_utf8(py, raw, encoding, utf8.as_bytes(), max_depth)
        }
    }
}

/// bytes/bytearray/memoryview of UTF-8 -> Python objects, accepting exactly what json.loads
/// accepts. Raises JSONDecodeError (json.loads' msg and character pos), UnicodeDecodeError for
/// invalid UTF-8, JSONDepthError past max_depth.
#[pyfunction]
#[pyo3(signature = (data, /, max_depth = core::DEFAULT_MAX_DEPTH))]
fn decode_json<'py>(data: &Bound<'py, PyAny>, max_depth: usize) -> PyResult<Bound<'py, PyAny>> {
    let py = data.py();
    if let Ok(bytes) = data.cast::<PyBytes>() {
        return decode_bytes(py, bytes.as_bytes(), max_depth);
    }
    if let Ok(array) = data.cast::<PyByteArray>() {
        return decode_bytes(py, &array.to_vec(), max_depth);
    }
    if data.is_instance_of::<PyMemoryView>() {
        let bytes = data.call_method0("tobytes")?;
        return decode_bytes(py, bytes.cast::<PyBytes>()?.as_bytes(), max_depth);
    }
    Err(PyTypeError::new_err(format!(
        "decode_json() argument must be bytes, bytearray or memoryview, not {}",
        data.get_type().name()?
    )))
}

/// Whether `data` holds `length` or more consecutive ASCII digits (an integer literal too long
/// for a float, found without parsing).
#[pyfunction]
#[pyo3(signature = (data, length, /))]
fn has_digit_run(data: &[u8], length: usize) -> bool {
    core::has_digit_run(data, length)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_function(wrap_pyfunction!(decode_json, m)?)?;
    m.add_function(wrap_pyfunction!(has_digit_run, m)?)?;
    m.add("JSONDecodeError", py.get_type::<JSONDecodeError>())?;
    m.add("JSONDepthError", py.get_type::<JSONDepthError>())?;
    m.add("DEFAULT_MAX_DEPTH", core::DEFAULT_MAX_DEPTH)?;
    Ok(())
}
