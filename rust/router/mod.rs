//! Route table.
