//! SSE framing.
