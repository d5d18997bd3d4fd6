// SPDX-License-Identifier: GPL-2.0
//! Lower-case hexadecimal rendering of byte strings.

use core::fmt;

/// Displays a byte slice as lower-case hex, two digits per byte, no separator.
pub struct Hex<'a>(pub &'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        // Render in chunks so that a long signature costs few `write_str` calls.
        let mut buf = [0u8; 64];
        for chunk in self.0.chunks(buf.len() / 2) {
            let out = buf.chunks_exact_mut(2).zip(chunk);
            let n = 2 * chunk.len();
            for (pair, &b) in out {
                pair[0] = DIGITS[usize::from(b >> 4)];
                pair[1] = DIGITS[usize::from(b & 0xf)];
            }
            // Only ASCII hex digits were written, so this cannot fail.
            f.write_str(
                core::str::from_utf8(buf.get(..n).unwrap_or_default()).map_err(|_| fmt::Error)?,
            )?;
        }
        Ok(())
    }
}
