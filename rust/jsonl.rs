//! JSON Lines joining: already-serialized items, each followed by `\n`, in one buffer.
//!
//! This is what FastAPI streams item by item (`serialized + b"\n"`); joining ready items lets the
//! server hand them to the transport in one `send`. Items are not inspected: they are JSON already,
//! and serialized JSON never contains a raw newline.

/// Each item followed by `\n`, in one buffer sized exactly up front.
pub fn join_lines<T: AsRef<[u8]>>(items: &[T]) -> Vec<u8> {
    let len = items.iter().map(|i| i.as_ref().len() + 1).sum();
    let mut out = Vec::with_capacity(len);
    for item in items {
        out.extend_from_slice(item.as_ref());
        out.push(b'\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn empty_sequence_is_empty() {
        assert_eq!(join_lines::<&[u8]>(&[]), b"");
    }

    #[test]
    fn each_item_ends_in_newline() {
        assert_eq!(join_lines(&[&b"{}"[..], b"", b"[1]"]), b"{}\n\n[1]\n");
    }

    fn cases() -> u32 {
        std::env::var("FERRO_PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(256)
    }

    fn item() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(any::<u8>(), 0..16)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases()))]

        #[test]
        fn equals_item_by_item_concatenation(items in prop::collection::vec(item(), 0..16)) {
            let out = join_lines(&items);
            let expected: Vec<u8> =
                items.iter().flat_map(|i| i.iter().copied().chain([b'\n'])).collect();
            prop_assert_eq!(out.len(), out.capacity());
            prop_assert_eq!(out, expected);
        }
    }
}
