//! The NaN-boxed [`Value`].
//!
//! Layout (64 bits): every bit pattern below `0xFFF8 << 48` is an `f64`
//! (NaNs are canonicalised to `0x7FF8_0000_0000_0000`, so no float reaches
//! the tagged range). Small ints take the top quarter of the tagged range
//! (top 14 bits set) with a 50-bit payload; the other tags keep their tag in
//! the top 16 bits and a 48-bit payload below:
//!
//! | top bits | kind | payload |
//! |---|---|---|
//! | `0xFFF8` | heap pointer | address of a [`GcBox`](crate::heap::GcBox) |
//! | `0xFFF9` | special | nil, false, true, void, placeholder |
//! | `0xFFFA` | char | Unicode scalar value |
//! | `0xFFFB` | symbol | interned id |
//! | `0xFFFC`–`0xFFFF` | small int | 50-bit two's complement |
//!
//! Ints outside the 50-bit range are boxed ([`Obj::Int`](crate::heap::Obj));
//! 50 bits keep products like `i * i` for i up to 2·10⁷ unboxed.

use crate::heap::{GcBox, Obj};
use crate::symbol::Symbol;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct Value(u64);

const TAG_SHIFT: u32 = 48;
const PAYLOAD_MASK: u64 = (1 << TAG_SHIFT) - 1;
pub const TAG_PTR: u64 = 0xFFF8;
pub const TAG_SPECIAL: u64 = 0xFFF9;
pub const TAG_CHAR: u64 = 0xFFFA;
pub const TAG_SYMBOL: u64 = 0xFFFB;
/// Small ints: the top 14 bits all set.
const INT_PREFIX: u64 = 0x3FFF;
const INT_SHIFT: u32 = 50;
const INT_MASK: u64 = (1 << INT_SHIFT) - 1;
const CANONICAL_NAN: u64 = 0x7FF8_0000_0000_0000;

pub const SMALL_INT_MIN: i64 = -(1 << 49);
pub const SMALL_INT_MAX: i64 = (1 << 49) - 1;

impl Value {
    pub const NIL: Value = Value(TAG_SPECIAL << TAG_SHIFT);
    pub const FALSE: Value = Value((TAG_SPECIAL << TAG_SHIFT) | 1);
    pub const TRUE: Value = Value((TAG_SPECIAL << TAG_SHIFT) | 2);
    pub const VOID: Value = Value((TAG_SPECIAL << TAG_SHIFT) | 3);
    pub const PLACEHOLDER: Value = Value((TAG_SPECIAL << TAG_SHIFT) | 4);

    #[inline]
    pub fn bits(self) -> u64 {
        self.0
    }

    /// # Safety
    /// `bits` must come from [`Value::bits`].
    #[inline]
    pub unsafe fn from_bits(bits: u64) -> Value {
        Value(bits)
    }

    #[inline]
    fn tag(self) -> u64 {
        self.0 >> TAG_SHIFT
    }

    #[inline]
    pub fn bool(b: bool) -> Value {
        if b {
            Value::TRUE
        } else {
            Value::FALSE
        }
    }

    #[inline]
    pub fn float(f: f64) -> Value {
        if f.is_nan() {
            Value(CANONICAL_NAN)
        } else {
            Value(f.to_bits())
        }
    }

    /// A small int; the caller guarantees the range.
    #[inline]
    pub fn small_int(i: i64) -> Value {
        debug_assert!((SMALL_INT_MIN..=SMALL_INT_MAX).contains(&i));
        Value((INT_PREFIX << INT_SHIFT) | (i as u64 & INT_MASK))
    }

    /// Any i64: immediate when it fits in 50 bits, boxed otherwise.
    #[inline]
    pub fn int(i: i64) -> Value {
        if (SMALL_INT_MIN..=SMALL_INT_MAX).contains(&i) {
            Value::small_int(i)
        } else {
            crate::heap::alloc(Obj::Int(i))
        }
    }

    #[inline]
    pub fn char(c: char) -> Value {
        Value((TAG_CHAR << TAG_SHIFT) | c as u64)
    }

    #[inline]
    pub fn symbol(s: Symbol) -> Value {
        Value((TAG_SYMBOL << TAG_SHIFT) | s.0 as u64)
    }

    /// # Safety
    /// `ptr` must point to a live heap object allocated by [`crate::heap`].
    #[inline]
    pub unsafe fn from_ptr(ptr: *const GcBox) -> Value {
        Value((TAG_PTR << TAG_SHIFT) | (ptr as u64 & PAYLOAD_MASK))
    }

    #[inline]
    pub fn is_float(self) -> bool {
        self.0 < (TAG_PTR << TAG_SHIFT)
    }

    #[inline]
    pub fn is_small_int(self) -> bool {
        self.0 >> INT_SHIFT == INT_PREFIX
    }

    #[inline]
    pub fn is_ptr(self) -> bool {
        self.tag() == TAG_PTR
    }

    #[inline]
    pub fn is_nil(self) -> bool {
        self == Value::NIL
    }

    #[inline]
    pub fn is_truthy(self) -> bool {
        self != Value::NIL && self != Value::FALSE
    }

    #[inline]
    pub fn as_float(self) -> Option<f64> {
        if self.is_float() {
            Some(f64::from_bits(self.0))
        } else {
            None
        }
    }

    #[inline]
    pub fn as_small_int(self) -> Option<i64> {
        if self.is_small_int() {
            Some(((self.0 << (64 - INT_SHIFT)) as i64) >> (64 - INT_SHIFT))
        } else {
            None
        }
    }

    /// The int value, immediate or boxed.
    #[inline]
    pub fn as_int(self) -> Option<i64> {
        if let Some(i) = self.as_small_int() {
            return Some(i);
        }
        match self.obj() {
            Some(Obj::Int(i)) => Some(*i),
            _ => None,
        }
    }

    /// Int or float, as a float.
    pub fn as_number(self) -> Option<f64> {
        match self.as_float() {
            Some(f) => Some(f),
            None => self.as_int().map(|i| i as f64),
        }
    }

    #[inline]
    pub fn as_char(self) -> Option<char> {
        if self.tag() == TAG_CHAR {
            char::from_u32((self.0 & PAYLOAD_MASK) as u32)
        } else {
            None
        }
    }

    #[inline]
    pub fn as_symbol(self) -> Option<Symbol> {
        if self.tag() == TAG_SYMBOL {
            Some(Symbol((self.0 & PAYLOAD_MASK) as u32))
        } else {
            None
        }
    }

    #[inline]
    pub fn as_bool(self) -> Option<bool> {
        match self {
            Value::TRUE => Some(true),
            Value::FALSE => Some(false),
            _ => None,
        }
    }

    #[inline]
    pub fn as_ptr(self) -> Option<*const GcBox> {
        if self.is_ptr() {
            Some((self.0 & PAYLOAD_MASK) as *const GcBox)
        } else {
            None
        }
    }

    /// The heap object this value points to.
    #[inline]
    pub fn obj(self) -> Option<&'static Obj> {
        // Safety: pointer values are only made by `heap::alloc`, and objects
        // are not freed while reachable (the collector traces every value).
        self.as_ptr().map(|p| unsafe { &(*p).obj })
    }

    pub fn as_str(self) -> Option<&'static str> {
        match self.obj() {
            Some(Obj::Str(s)) => Some(s),
            _ => None,
        }
    }
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::print::repr(*self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_round_trip_at_the_50_bit_edges() {
        for i in [0, 1, -1, SMALL_INT_MAX, SMALL_INT_MIN, i64::MAX, i64::MIN] {
            assert_eq!(Value::int(i).as_int(), Some(i));
        }
        assert!(Value::int(SMALL_INT_MAX).is_small_int());
        assert!(!Value::int(SMALL_INT_MAX + 1).is_small_int());
    }

    #[test]
    fn floats_stay_floats_and_nan_is_canonical() {
        for f in [0.0, -0.0, 1.5, f64::INFINITY, f64::NEG_INFINITY, f64::MIN] {
            assert_eq!(Value::float(f).as_float(), Some(f));
        }
        let nan = Value::float(-f64::NAN);
        assert!(nan.as_float().is_some_and(f64::is_nan));
        assert!(!Value::NIL.is_float() && !Value::int(3).is_float());
    }

    #[test]
    fn only_nil_and_false_are_falsy() {
        assert!(!Value::NIL.is_truthy());
        assert!(!Value::FALSE.is_truthy());
        for v in [
            Value::int(0),
            Value::float(0.0),
            Value::TRUE,
            Value::PLACEHOLDER,
        ] {
            assert!(v.is_truthy());
        }
    }

    #[test]
    fn chars_and_symbols_are_immediates() {
        assert_eq!(Value::char('中').as_char(), Some('中'));
        let s = Symbol::intern("abc");
        assert_eq!(Value::symbol(s).as_symbol(), Some(s));
        assert_eq!(Value::symbol(s).as_char(), None);
    }
}
