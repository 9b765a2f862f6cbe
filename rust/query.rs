//! Query strings split into (name, value) pairs, as starlette's `QueryParams(query_string)` does:
//! `urllib.parse.parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)`.
//!
//! Pairs are separated by `&` only; an empty pair is skipped; a pair without `=` has an empty value.
//! In each name and value `+` is a space, then percent escapes are decoded the way `unquote` decodes
//! them: each run of ASCII bytes is percent-decoded (an escape needs two hex digits, else it stays as
//! written) and read as UTF-8 with U+FFFD for invalid sequences; bytes of 0x80 and above, which were
//! never escaped, stay the Latin-1 characters the decode made of them. Without any `%` the text is
//! only Latin-1-decoded.

/// The pairs of `query`, in order (repeated names kept).
pub fn parse_query(query: &[u8]) -> Vec<(String, String)> {
    query
        .split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.iter().position(|&b| b == b'=') {
            Some(eq) => (unquote_plus(&pair[..eq]), unquote_plus(&pair[eq + 1..])),
            None => (unquote_plus(pair), String::new()),
        })
        .collect()
}

/// One name or value: `+` as a space, then `unquote`.
pub fn unquote_plus(raw: &[u8]) -> String {
    if !raw.contains(&b'%') {
        return raw
            .iter()
            .map(|&b| if b == b'+' { ' ' } else { char::from(b) })
            .collect();
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(&first) = rest.first() {
        let ascii = first < 0x80;
        let run_len = rest
            .iter()
            .position(|&b| (b < 0x80) != ascii)
            .unwrap_or(rest.len());
        let (run, tail) = rest.split_at(run_len);
        if ascii {
            out.push_str(&String::from_utf8_lossy(&percent_decode(run)));
        } else {
            out.extend(run.iter().map(|&b| char::from(b)));
        }
        rest = tail;
    }
    out
}

fn percent_decode(run: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(run.len());
    let mut i = 0;
    while i < run.len() {
        let b = run[i];
        if b == b'%' {
            if let (Some(hi), Some(lo)) = (
                run.get(i + 1).and_then(|&c| hex_value(c)),
                run.get(i + 2).and_then(|&c| hex_value(c)),
            ) {
                bytes.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        bytes.push(if b == b'+' { b' ' } else { b });
        i += 1;
    }
    bytes
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &str) -> Vec<(String, String)> {
        parse_query(query.as_bytes())
    }

    fn owned(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn pairs_blanks_and_repeats() {
        assert_eq!(
            pairs("a=1&a=2&b&&c="),
            owned(&[("a", "1"), ("a", "2"), ("b", ""), ("c", "")])
        );
        assert_eq!(pairs(""), owned(&[]));
        assert_eq!(pairs("x=a=b"), owned(&[("x", "a=b")]));
    }

    #[test]
    fn plus_and_escapes() {
        assert_eq!(pairs("q=a+b%2Bc%20d"), owned(&[("q", "a b+c d")]));
        assert_eq!(pairs("q=%e2%82%ac"), owned(&[("q", "\u{20ac}")]));
        assert_eq!(pairs("q=%zz%4"), owned(&[("q", "%zz%4")]));
        assert_eq!(pairs("q=%ff"), owned(&[("q", "\u{fffd}")]));
    }

    #[test]
    fn raw_high_bytes_stay_latin1() {
        assert_eq!(parse_query(b"q=\xc3\xa9"), owned(&[("q", "\u{c3}\u{a9}")]));
        // An escape and a raw byte are decoded separately, as unquote's ASCII runs are.
        assert_eq!(parse_query(b"q=%c3\xa9"), owned(&[("q", "\u{fffd}\u{a9}")]));
    }
}
