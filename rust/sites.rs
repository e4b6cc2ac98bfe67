// SPDX-License-Identifier: GPL-2.0
//! The traced sites, numbered: entry 0 is the traced function's site (`int3call_traced`), and
//! entries 1..SITES are the slots of a table laid out at a fixed stride (`traced.rs`), so that
//! the int3 handler finds an entry from the trapping address with arithmetic and one bounds
//! check, whatever the number of sites. Each entry returns its own results: v1 and v2 plus
//! the entry's tag, so a result tells which site made it. No kernel dependency: unit-tested on
//! the host.

/// Entries: the traced function's site and the table's slots.
pub(crate) const SITES: usize = 4096;
/// The default batch: the kernel's `TEXT_POKE_ARRAY_MAX` on x86-64 (a page of 16-byte
/// entries), past which `smp_text_poke_batch_add()` flushes.
pub(crate) const BATCH_DEFAULT: usize = 256;
/// Bytes from one table slot to the next.
pub(crate) const STRIDE: usize = 64;
/// Where a slot's site starts.
pub(crate) const SITE_OFFSET: usize = 0;
/// Where a slot's v2 starts.
pub(crate) const V2_OFFSET: usize = 32;
/// Added to an entry's results per entry number: entry `e` returns `x + V1_TAG + e * TAG`.
pub(crate) const TAG: u64 = 0x1000;

/// Where the entries are: the traced function's site, and the first slot of the table.
#[derive(Clone, Copy)]
pub(crate) struct Layout {
    /// Entry 0's site.
    pub(crate) single: usize,
    /// Entry 1's slot.
    pub(crate) table: usize,
}

impl Layout {
    /// The entry whose site starts at `site`, or `None`: one comparison for entry 0, then a
    /// subtraction, an alignment test and one bounds check for the table.
    #[inline(always)]
    pub(crate) fn entry_of(&self, site: usize) -> Option<usize> {
        if site == self.single {
            return Some(0);
        }
        // Wrapping: this runs in the int3 handler, where an overflow check would call out.
        let off = site.wrapping_sub(self.table.wrapping_add(SITE_OFFSET));
        let slot = off / STRIDE;
        (off % STRIDE == 0 && slot < SITES - 1).then_some(slot + 1)
    }

    /// Where entry `e`'s site starts (`e < SITES`).
    #[inline(always)]
    pub(crate) fn site_of(&self, e: usize) -> usize {
        if e == 0 {
            self.single
        } else {
            self.slot(e).wrapping_add(SITE_OFFSET)
        }
    }

    /// Where entry `e`'s slot starts (`0 < e < SITES`); wrapping, as `entry_of`.
    #[inline(always)]
    fn slot(&self, e: usize) -> usize {
        self.table
            .wrapping_add(e.wrapping_sub(1).wrapping_mul(STRIDE))
    }

    /// Where the live patch sends a call that would return to `ret` (the address after a
    /// site): the v2 of that entry. `v2_single` is entry 0's.
    #[inline(always)]
    pub(crate) fn v2_after(&self, ret: usize, v2_single: usize) -> Option<usize> {
        match self.entry_of(ret.wrapping_sub(crate::insn::SITE_LEN))? {
            0 => Some(v2_single),
            e => Some(self.slot(e).wrapping_add(V2_OFFSET)),
        }
    }
}

/// Which body made a result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Body {
    V1,
    V2,
}

/// What a call of entry `called` with argument `x` returned: the body, if the result came
/// from that entry's v1 or v2; `Err(Some(e))` if it came from entry `e`'s instead; `Err(None)`
/// if it is no entry's result.
pub(crate) fn read_result(called: usize, x: u64, result: u64) -> Result<Body, Option<usize>> {
    let d = result.wrapping_sub(x);
    let body = match d % TAG {
        v if v == V1_TAG => Body::V1,
        v if v == V2_TAG => Body::V2,
        _ => return Err(None),
    };
    let from = d / TAG;
    if from >= SITES as u64 {
        return Err(None);
    }
    if from != called as u64 {
        return Err(Some(from as usize));
    }
    Ok(body)
}

/// Added to the argument by the original body (v1) and by the replacement (v2).
pub(crate) const V1_TAG: u64 = 0x100;
pub(crate) const V2_TAG: u64 = 0x200;

/// The entries a flip of `count` sites in batches of `batch` writes, batch by batch, in
/// ascending address order (the kernel's batch wants its entries sorted).
pub(crate) fn batches(count: usize, batch: usize) -> impl Iterator<Item = core::ops::Range<usize>> {
    let batch = batch.max(1);
    (0..count.div_ceil(batch)).map(move |i| i * batch..((i + 1) * batch).min(count))
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: Layout = Layout {
        single: 0xffff_ffff_c000_1000,
        table: 0xffff_ffff_c000_2000,
    };

    #[test]
    fn every_entry_is_found_from_its_own_site_and_no_other_address() {
        for e in 0..SITES {
            assert_eq!(L.entry_of(L.site_of(e)), Some(e), "{e}");
            assert_eq!(L.entry_of(L.site_of(e) + 1), None, "{e}");
        }
        assert_eq!(L.entry_of(L.table + STRIDE / 2), None);
        assert_eq!(L.entry_of(L.table - STRIDE), None);
        assert_eq!(L.entry_of(L.site_of(SITES - 1) + STRIDE), None);
        assert_eq!(L.entry_of(L.single - STRIDE), None);
        assert_eq!(L.entry_of(0), None);
    }

    #[test]
    fn the_live_patch_lands_in_the_v2_of_the_entry_that_was_called() {
        let v2 = 0xffff_ffff_c000_1010;
        assert_eq!(L.v2_after(L.site_of(0) + 5, v2), Some(v2));
        assert_eq!(L.v2_after(L.site_of(1) + 5, v2), Some(L.table + V2_OFFSET));
        assert_eq!(
            L.v2_after(L.site_of(SITES - 1) + 5, v2),
            Some(L.table + (SITES - 2) * STRIDE + V2_OFFSET)
        );
        assert_eq!(L.v2_after(L.table + 7, v2), None);
    }

    #[test]
    fn a_result_names_its_body_and_its_entry() {
        assert_eq!(read_result(0, 7, 7 + V1_TAG), Ok(Body::V1));
        assert_eq!(read_result(3, 7, 7 + V2_TAG + 3 * TAG), Ok(Body::V2));
        assert_eq!(read_result(3, 7, 7 + V2_TAG + 4 * TAG), Err(Some(4)));
        assert_eq!(read_result(3, 7, 7 + 0x300 + 3 * TAG), Err(None));
        assert_eq!(
            read_result(0, u64::MAX, u64::MAX.wrapping_add(V1_TAG)),
            Ok(Body::V1)
        );
        assert_eq!(read_result(0, 0, V1_TAG + SITES as u64 * TAG), Err(None));
    }

    #[test]
    fn batches_cover_every_entry_once_in_ascending_order() {
        let all: Vec<_> = batches(4096, 256).collect();
        assert_eq!(all.len(), 16);
        assert_eq!(all[15], 3840..4096);
        let v: Vec<usize> = batches(1000, 64).flatten().collect();
        assert_eq!(v, (0..1000).collect::<Vec<_>>());
        assert_eq!(batches(1, 0).collect::<Vec<_>>(), [0..1]);
    }
}
