//! `base64(s)` and `base64_decode(s)` (spec 04 §4.1): standard alphabet
//! with `=` padding. Decoding rejects malformed input and results that are
//! not UTF-8 text with `ArgumentError`.

use super::arg;
use crate::vm::Vm;
use gene_core::heap;
use gene_core::ErrorKind;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn install(vm: &mut Vm) {
    vm.def_fn("base64", |vm, _, args, _| {
        let s = arg(args, 0);
        match s.as_str() {
            Some(text) => Ok(heap::string(encode(text.as_bytes()))),
            None => Err(vm.bad_argument("base64 needs a string", s)),
        }
    });
    vm.def_fn("base64_decode", |vm, _, args, _| {
        let s = arg(args, 0);
        let Some(text) = s.as_str() else {
            return Err(vm.bad_argument("base64_decode needs a string", s));
        };
        let bytes = decode(text).ok_or_else(|| {
            vm.error(
                ErrorKind::ArgumentError,
                "base64_decode: invalid base64 text",
            )
        })?;
        String::from_utf8(bytes).map(heap::string).map_err(|_| {
            vm.error(
                ErrorKind::ArgumentError,
                "base64_decode: the decoded bytes are not UTF-8 text",
            )
        })
    });
}

fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The decoded bytes, or None for malformed input (wrong length, bad
/// characters, misplaced padding). ASCII whitespace is ignored.
fn decode(text: &str) -> Option<Vec<u8>> {
    let clean: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !clean.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    let quads = clean.len() / 4;
    for (q, quad) in clean.chunks(4).enumerate() {
        let pad = quad.iter().rev().take_while(|b| **b == b'=').count();
        if pad > 2 || (pad > 0 && q + 1 != quads) {
            return None;
        }
        let mut n = 0u32;
        for &c in &quad[..4 - pad] {
            let v = ALPHABET.iter().position(|a| *a == c)? as u32;
            n = (n << 6) | v;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::{decode, encode};
    use crate::builtins::eval_for_test as eval;

    #[test]
    fn round_trips_with_padding() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("héllo", "aMOpbGxv"),
        ] {
            assert_eq!(encode(plain.as_bytes()), coded);
            assert_eq!(decode(coded).as_deref(), Some(plain.as_bytes()));
        }
        assert_eq!(eval(r#"(base64_decode (base64 "gene"))"#), r#""gene""#);
    }

    #[test]
    fn rejects_malformed_input() {
        assert_eq!(decode("Zg="), None);
        assert_eq!(decode("Z==="), None);
        assert_eq!(decode("Zg==Zg=="), None);
        assert_eq!(decode("Z!=="), None);
        assert_eq!(
            eval(r#"(base64_decode "@@@@")"#),
            "Error: ArgumentError: base64_decode: invalid base64 text"
        );
    }
}
