//! Byte scans over a raw JSON document that run before any parsing.

/// Whether `doc` holds `length` or more consecutive ASCII digits (`length` >= 1).
///
/// The one-pass body validation needs this: an integer literal of 309+ digits overflows a float,
/// which pydantic-core's JSON mode turns into `inf` where python mode (after `json.loads`) fails.
/// Real bodies almost never contain such a run, so the scan is built for the miss: it probes one
/// byte per `length`-byte window. A window `[p - length + 1, p]` can only hold a long run if byte
/// `p` is a digit; a non-digit at `p` rules out every run through `p` and the probe jumps a whole
/// window ahead. On a digit, the run around `p` is measured and the scan resumes past its end. A
/// 1 MB body costs a few thousand probes instead of a million comparisons.
pub fn has_digit_run(doc: &[u8], length: usize) -> bool {
    let length = length.max(1);
    let mut probe = length - 1;
    while let Some(&byte) = doc.get(probe) {
        if !byte.is_ascii_digit() {
            probe += length;
            continue;
        }
        let (head, tail) = doc.split_at(probe); // probe < doc.len(): `get` found a byte there
        let before = head.iter().rev().take_while(|b| b.is_ascii_digit()).count();
        let after = tail.iter().take_while(|b| b.is_ascii_digit()).count();
        if before + after >= length {
            return true;
        }
        // No run of `length` can include any byte of this run; the next one starts after it.
        probe += after + length;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::has_digit_run;
    use proptest::prelude::*;

    /// The obvious definition the fast scan must agree with.
    fn naive(doc: &[u8], length: usize) -> bool {
        let length = length.max(1);
        let mut run = 0;
        for byte in doc {
            run = if byte.is_ascii_digit() { run + 1 } else { 0 };
            if run >= length {
                return true;
            }
        }
        false
    }

    #[test]
    fn finds_runs_at_every_offset() {
        for len in 1..12 {
            for pad_before in 0..15 {
                for pad_after in 0..15 {
                    for run in [len - 1, len, len + 1] {
                        let mut doc = vec![b','; pad_before];
                        doc.extend(std::iter::repeat_n(b'7', run));
                        doc.extend(std::iter::repeat_n(b' ', pad_after));
                        assert_eq!(has_digit_run(&doc, len), run >= len, "{len} {doc:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn edge_inputs() {
        assert!(!has_digit_run(b"", 3));
        assert!(!has_digit_run(b"12", 3));
        assert!(has_digit_run(b"123", 3));
        assert!(has_digit_run(b"5", 0)); // a zero length means "any digit"
        assert!(!has_digit_run(b"[12,34,56]", 3));
        let huge = format!("[1.5, {}]", "9".repeat(309));
        assert!(has_digit_run(huge.as_bytes(), 309));
        assert!(!has_digit_run(huge.as_bytes(), 310));
    }

    fn cases() -> ProptestConfig {
        let cases = std::env::var("FERRO_PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(256);
        ProptestConfig::with_cases(cases)
    }

    proptest! {
        #![proptest_config(cases())]
        #[test]
        fn agrees_with_the_naive_scan(
            doc in proptest::collection::vec(prop_oneof![3 => b'0'..=b'9', 1 => any::<u8>()], 0..200),
            length in 0usize..40,
        ) {
            prop_assert_eq!(has_digit_run(&doc, length), naive(&doc, length));
        }
    }
}
