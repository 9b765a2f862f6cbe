//! The segment trie: one node per template segment, built once from routes in index order.
//!
//! Each node keeps its static children in a hash map (one lookup however many siblings), its
//! complex children (segments with parameters) and the routes that end or continue as a tail
//! there, all in ascending route rank. `min_rank` lets a search skip a subtree that cannot beat
//! the best FULL match found so far: that is how a parameter route registered first still shadows
//! a later static one without scanning the table.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::template::{Piece, Segment, Segmented};

/// FNV-1a: segment keys are short, and SipHash's flood resistance buys nothing for keys fixed at
/// startup (a request can only miss, it cannot grow the map).
#[derive(Default)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

pub type FnvMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// Rank of "no route": above every real rank.
pub const NONE: u32 = u32::MAX;

#[derive(Debug, Default)]
pub struct Node {
    /// Children for fully literal segments, by text.
    pub statics: FnvMap<Box<str>, u32>,
    /// Children for segments with parameters, by ascending `min_rank`.
    pub complex: Vec<(Box<[Piece]>, u32)>,
    /// Routes whose template ends with this node's segment, ascending.
    pub ends: Vec<u32>,
    /// Routes whose rest (from the next segment on) holds a `path` parameter, ascending.
    pub tails: Vec<(u32, Box<[Piece]>)>,
    /// The lowest rank of any route at or below this node.
    pub min_rank: u32,
}

/// A trie over the routes that apply to one scope type.
#[derive(Debug)]
pub struct Trie {
    pub nodes: Vec<Node>,
    /// Build-time index of complex children: (parent, pieces) -> child.
    complex_index: FnvMap<(u32, Box<[Piece]>), u32>,
}

impl Trie {
    pub fn new() -> Self {
        Self {
            nodes: vec![Node {
                min_rank: NONE,
                ..Node::default()
            }],
            complex_index: FnvMap::default(),
        }
    }

    /// Add a route; ranks must arrive in ascending order (children then stay sorted).
    pub fn insert(&mut self, rank: u32, segmented: &Segmented) {
        let mut node = 0;
        self.touch(node, rank);
        for segment in &segmented.segments {
            node = self.child(node, segment);
            self.touch(node, rank);
        }
        if let Some(here) = self.nodes.get_mut(node as usize) {
            match &segmented.tail {
                Some(tail) => here.tails.push((rank, tail.clone())),
                None => here.ends.push(rank),
            }
        }
    }

    /// Drop build-only state.
    pub fn finish(&mut self) {
        self.complex_index = FnvMap::default();
        self.nodes.shrink_to_fit();
    }

    fn touch(&mut self, node: u32, rank: u32) {
        if let Some(n) = self.nodes.get_mut(node as usize) {
            n.min_rank = n.min_rank.min(rank);
        }
    }

    fn child(&mut self, parent: u32, segment: &Segment) -> u32 {
        let fresh = u32::try_from(self.nodes.len()).unwrap_or(NONE);
        let existing = match segment {
            Segment::Static(text) => self
                .nodes
                .get(parent as usize)
                .and_then(|n| n.statics.get(text).copied()),
            Segment::Complex(pieces) => self.complex_index.get(&(parent, pieces.clone())).copied(),
        };
        if let Some(child) = existing {
            return child;
        }
        self.nodes.push(Node {
            min_rank: NONE,
            ..Node::default()
        });
        if let Some(p) = self.nodes.get_mut(parent as usize) {
            match segment {
                Segment::Static(text) => {
                    p.statics.insert(text.clone(), fresh);
                }
                Segment::Complex(pieces) => {
                    p.complex.push((pieces.clone(), fresh));
                    self.complex_index.insert((parent, pieces.clone()), fresh);
                }
            }
        }
        fresh
    }
}
