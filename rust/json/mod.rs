//! JSON decoding.
