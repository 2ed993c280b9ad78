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
        // zeroed by the allocator (for large sizes, pages the kernel zeroes when they are
        // first written, by whichever thread fills them)
        let layout = std::alloc::Layout::array::<u8>(size).map_err(|e| {
            Error::invalid(
                "k",
                len,
                format!("more synapses than the address space holds: {e}"),
            )
        })?;
        // SAFETY: `size >= PAD > 0`; the pointer is checked for null; a Vec<u8> of
        // capacity `size` frees exactly this layout (align 1).
        let bytes = unsafe {
            let ptr = std::alloc::alloc_zeroed(layout);
            if ptr.is_null() {
                return Err(Error::invalid(
                    "populations[].n, k",
                    format!("{len} synapses"),
                    format!("cannot allocate the network's targets ({size} bytes)"),
                ));
            }
            Vec::from_raw_parts(ptr, size, size)
        };
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

    /// Disjoint writable parts of the table: part `q` holds positions `cuts[q] ..
    /// cuts[q + 1]` (`cuts` ascending, from 0 to [`Targets::len`]).
    pub fn split_mut(&mut self, cuts: &[usize]) -> Vec<TargetsMut<'_>> {
        assert!(
            cuts.first() == Some(&0) && cuts.last() == Some(&self.len),
            "cuts must run from 0 to {}",
            self.len
        );
        let width = self.width;
        let mut rest: &mut [u8] = &mut self.bytes[..self.len * width];
        let mut parts = Vec::with_capacity(cuts.len().saturating_sub(1));
        for c in cuts.windows(2) {
            assert!(c[0] <= c[1], "cuts must be ascending");
            let (head, tail) = std::mem::take(&mut rest).split_at_mut((c[1] - c[0]) * width);
            parts.push(TargetsMut {
                bytes: head,
                width,
                start: c[0],
            });
            rest = tail;
        }
        parts
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

/// A writable part of a [`Targets`] table (see [`Targets::split_mut`]): writes touch only
/// the bytes of its own positions, so parts can be filled by different threads.
#[derive(Debug)]
pub struct TargetsMut<'a> {
    bytes: &'a mut [u8],
    width: usize,
    start: usize,
}

impl TargetsMut<'_> {
    /// The first position of this part in the whole table.
    pub fn start(&self) -> usize {
        self.start
    }

    /// Set the index at position `pos` of the whole table (which must lie in this part) to
    /// `v` (which must fit the width).
    #[inline]
    pub fn set(&mut self, pos: usize, v: u32) {
        let at = (pos - self.start) * self.width;
        let le = v.to_le_bytes();
        if self.width == 3 {
            debug_assert!(v >> 24 == 0);
            self.bytes[at..at + 3].copy_from_slice(&le[..3]);
        } else {
            self.bytes[at..at + 4].copy_from_slice(&le);
        }
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
        for n in [1000usize, (1 << 24) + 1] {
            let mut t = Targets::zeroed(7, n).unwrap();
            {
                let mut parts = t.split_mut(&[0, 2, 2, 7]);
                assert_eq!(parts[2].start(), 2);
                for (q, part) in parts.iter_mut().enumerate() {
                    for pos in [0usize, 1, 2, 3, 4, 5, 6] {
                        let inside = match q {
                            0 => pos < 2,
                            1 => false,
                            _ => pos >= 2,
                        };
                        if inside {
                            part.set(pos, (n - 1 - pos) as u32);
                        }
                    }
                }
            }
            let want: Vec<u32> = (0..7).map(|p| (n - 1 - p) as u32).collect();
            assert_eq!(t.range(0..7).collect::<Vec<_>>(), want);
        }
        assert_eq!(Targets::width_for(1 << 24), 3);
        assert_eq!(Targets::width_for((1 << 24) + 1), 4);
    }
}
