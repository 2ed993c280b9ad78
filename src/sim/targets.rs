//! The target table of the connectivity: neuron indices packed in 3 bytes each when every
//! index is below 2^24 (16,777,216 neurons), else in 4 (docs/simulator.md, "Memory").
//!
//! Three bytes instead of a `u32` save a quarter of the connectivity's memory (and of the
//! memory traffic of spike delivery); reading one index is an unaligned 4-byte load and a
//! mask. The array carries 4 bytes of padding so that the load of the last index stays
//! inside it.

use std::ops::Range;

use crate::error::{Error, Result};

/// Packed `u32` neuron indices (see the module documentation).
#[derive(Clone, Debug)]
pub struct Targets {
    bytes: Vec<u8>,
    width: usize,
    len: usize,
}

/// Bytes of padding after the last index.
const PAD: usize = 4;

impl Targets {
    /// Bytes per index for a network of `n` neurons: 3 if every index fits in 24 bits, else 4.
    pub fn width_for(n: usize) -> usize {
        if n <= 1 << 24 { 3 } else { 4 }
    }

    /// `len` zero indices for a network of `n` neurons, or an error if the memory cannot
    /// be reserved.
    pub fn zeroed(len: usize, n: usize) -> Result<Self> {
        let width = Self::width_for(n);
        let size = len
            .checked_mul(width)
            .and_then(|b| b.checked_add(PAD))
            .ok_or_else(|| {
                Error::invalid("k", len, "more synapses than the address space holds")
            })?;
        let mut bytes = Vec::new();
        bytes.try_reserve_exact(size).map_err(|e| {
            Error::invalid(
                "populations[].n, k",
                format!("{len} synapses"),
                format!("cannot allocate the network's targets ({size} bytes): {e}"),
            )
        })?;
        bytes.resize(size, 0);
        Ok(Targets { bytes, width, len })
    }

    /// Number of indices.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is no index.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes per index (3 or 4).
    pub fn width(&self) -> usize {
        self.width
    }

    /// Bytes of storage.
    pub fn storage_bytes(&self) -> usize {
        self.bytes.len()
    }

    #[inline(always)]
    fn mask(&self) -> u32 {
        if self.width == 3 {
            0x00FF_FFFF
        } else {
            u32::MAX
        }
    }

    /// Index number `pos`.
    #[inline]
    pub fn get(&self, pos: usize) -> u32 {
        assert!(pos < self.len, "target {pos} of {}", self.len);
        let b = &self.bytes[pos * self.width..pos * self.width + 4];
        u32::from_le_bytes([b[0], b[1], b[2], b[3]]) & self.mask()
    }

    /// Set index number `pos` to `v` (which must fit the width).
    #[inline]
    pub fn set(&mut self, pos: usize, v: u32) {
        assert!(pos < self.len, "target {pos} of {}", self.len);
        debug_assert!(v & !self.mask() == 0);
        let mask = self.mask();
        let b = &mut self.bytes[pos * self.width..pos * self.width + 4];
        // a 4-byte read-modify-write that keeps the byte after a 3-byte index
        let old = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        b.copy_from_slice(&((old & !mask) | (v & mask)).to_le_bytes());
    }

    /// The indices at positions `r`.
    #[inline]
    pub fn range(&self, r: Range<usize>) -> impl ExactSizeIterator<Item = u32> + Clone + '_ {
        assert!(
            r.start <= r.end && r.end <= self.len,
            "targets {r:?} of {}",
            self.len
        );
        let (w, mask, ptr) = (self.width, self.mask(), self.bytes.as_ptr());
        r.map(move |p| {
            // SAFETY: p < len, so p * w + 4 <= (len - 1) * w + 4 < len * w + PAD =
            // bytes.len(): the 4-byte load lies inside the array.
            unsafe { (ptr.add(p * w) as *const u32).read_unaligned() & mask }
        })
    }

    /// The first position in `r` whose index is not below `bound` (the indices in `r`
    /// must be sorted ascending).
    pub fn partition_point(&self, r: Range<usize>, bound: u32) -> usize {
        let (mut lo, mut hi) = (r.start, r.end);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.get(mid) < bound {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_and_reads_back() {
        for n in [1000usize, 1 << 24, (1 << 24) + 1] {
            let mut t = Targets::zeroed(5, n).unwrap();
            let vals = [0u32, 1, (n - 1) as u32, 12345, (n / 2) as u32];
            for (p, &v) in vals.iter().enumerate() {
                t.set(p, v);
            }
            assert_eq!(t.range(0..5).collect::<Vec<_>>(), vals);
            assert_eq!(t.get(2), (n - 1) as u32);
        }
        assert_eq!(Targets::width_for(1 << 24), 3);
        assert_eq!(Targets::width_for((1 << 24) + 1), 4);
    }
}
