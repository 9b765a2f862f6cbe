//! JSON Lines joining.
