// SPDX-License-Identifier: GPL-2.0
//! Encoding and decoding of the 5-byte instructions a call site can hold. No kernel
//! dependency: unit-tested on the host.

/// Size of a patchable call site.
pub(crate) const SITE_LEN: usize = 5;
/// The kernel's `x86_nops[5]` (`BYTES_NOP5`); `smp_text_poke_single` accepts no other NOP5.
pub(crate) const NOP5: [u8; SITE_LEN] = [0x0f, 0x1f, 0x44, 0x00, 0x00];
/// `int3`.
pub(crate) const INT3: u8 = 0xcc;
/// Opcode of `call rel32`.
pub(crate) const CALL_OPCODE: u8 = 0xe8;
/// Opcode of `jmp rel32` (what a bound static-call trampoline starts with).
pub(crate) const JMP_OPCODE: u8 = 0xe9;

/// What a 5-byte site does when it runs, which is also what the int3 handler emulates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Insn {
    /// Fall through to the next instruction.
    Nop,
    /// Call the absolute address.
    Call(usize),
}

/// Encodes `opcode rel32` reaching `target` from `site`, or `None` when out of reach.
fn encode_rel32(opcode: u8, site: usize, target: usize) -> Option<[u8; SITE_LEN]> {
    let next = site.checked_add(SITE_LEN)?;
    let rel = (target as i128) - (next as i128);
    let rel = i32::try_from(rel).ok()?;
    let r = rel.to_le_bytes();
    Some([opcode, r[0], r[1], r[2], r[3]])
}

/// Encodes `call target` placed at `site`, or `None` when `target` is out of rel32 reach.
pub(crate) fn encode_call(site: usize, target: usize) -> Option<[u8; SITE_LEN]> {
    encode_rel32(CALL_OPCODE, site, target)
}

/// Encodes `jmp target` placed at `site`, or `None` when `target` is out of rel32 reach. The
/// module only reads jumps (`decode_jmp`, the static calls the kernel wrote); the tests write.
#[cfg(test)]
pub(crate) fn encode_jmp(site: usize, target: usize) -> Option<[u8; SITE_LEN]> {
    encode_rel32(JMP_OPCODE, site, target)
}

/// Encodes `insn` at `site`.
pub(crate) fn encode(site: usize, insn: Insn) -> Option<[u8; SITE_LEN]> {
    match insn {
        Insn::Nop => Some(NOP5),
        Insn::Call(target) => encode_call(site, target),
    }
}

/// Decodes the 5 bytes found at `site`; `None` for anything a site must never hold.
#[inline(always)]
pub(crate) fn decode(site: usize, bytes: &[u8; SITE_LEN]) -> Option<Insn> {
    if *bytes == NOP5 {
        return Some(Insn::Nop);
    }
    if bytes[0] != CALL_OPCODE {
        return None;
    }
    let rel = i32::from_le_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
    // Wrapping, not checked: this runs on the int3 path, where an overflow check would be
    // a panic (a printk and a BUG) in NMI-like context.
    Some(Insn::Call(
        site.wrapping_add(SITE_LEN)
            .wrapping_add_signed(rel as isize),
    ))
}

/// Where a 5-byte `jmp rel32` at `site` goes; `None` if `bytes` is not one.
pub(crate) fn decode_jmp(site: usize, bytes: &[u8]) -> Option<usize> {
    match bytes {
        [JMP_OPCODE, r0, r1, r2, r3, ..] => {
            let rel = i32::from_le_bytes([*r0, *r1, *r2, *r3]);
            Some((site + SITE_LEN).wrapping_add_signed(rel as isize))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE: usize = 0xffff_ffff_c000_1000;

    #[test]
    fn jmp_decodes_to_its_target() {
        for target in [SITE + 0x1234, SITE - 0x40_0000, SITE + SITE_LEN] {
            assert_eq!(
                encode_jmp(SITE, target).map(|j| decode_jmp(SITE, &j)),
                Some(Some(target))
            );
        }
        assert_eq!(
            encode_call(SITE, SITE + 0x10).map(|c| decode_jmp(SITE, &c)),
            Some(None)
        );
        assert_eq!(decode_jmp(SITE, &[JMP_OPCODE, 0, 0]), None);
    }

    #[test]
    fn jmp_is_a_call_with_the_jmp_opcode() {
        let target = SITE + 0x1234;
        let (c, j) = (
            encode_call(SITE, target).expect("in reach"),
            encode_jmp(SITE, target).expect("in reach"),
        );
        assert_eq!(j[0], JMP_OPCODE);
        assert_eq!(c[1..], j[1..]);
        assert_eq!(encode_jmp(SITE, SITE - (1 << 40)), None);
    }

    #[test]
    fn call_forward_and_backward_round_trip() {
        for target in [SITE + 0x1234, SITE - 0x40, SITE + SITE_LEN] {
            let bytes = encode_call(SITE, target).expect("in reach");
            assert_eq!(bytes[0], CALL_OPCODE);
            assert_eq!(decode(SITE, &bytes), Some(Insn::Call(target)));
        }
    }

    #[test]
    fn call_rel32_is_relative_to_the_next_instruction() {
        assert_eq!(encode_call(SITE, SITE + 5), Some([0xe8, 0, 0, 0, 0]));
        assert_eq!(
            encode_call(SITE, SITE),
            Some([0xe8, 0xfb, 0xff, 0xff, 0xff])
        );
    }

    #[test]
    fn call_out_of_reach_is_refused() {
        assert_eq!(encode_call(0x1000, 0x1000 + (1usize << 32)), None);
        assert_eq!(encode_call(SITE, SITE - (1usize << 32)), None);
    }

    #[test]
    fn nop_is_the_kernels_nop5_and_garbage_is_refused() {
        assert_eq!(encode(SITE, Insn::Nop), Some(NOP5));
        assert_eq!(decode(SITE, &NOP5), Some(Insn::Nop));
        assert_eq!(decode(SITE, &[INT3, 0, 0, 0, 0]), None);
        assert_eq!(decode(SITE, &[0x0f, 0x1f, 0x40, 0x00, 0x00]), None);
    }
}
