//! Arithmetic, comparison and equality (spec 02 §2.3–2.6).
//!
//! The VM calls these on the slow path, after its inline small-int checks.

use crate::error::{CoreError, CoreResult, ErrorKind};
use crate::heap::Obj;
use crate::print::type_name;
use crate::value::Value;
use rustc_hash::FxHashSet;
use smallvec::SmallVec;

/// An arithmetic operator. The discriminant is its code in the native ABI
/// (`gene_arith`): `op as u32` encodes it, [`BinOp::from_code`] decodes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    /// `//`: floor division (spec 07 §7.1).
    FloorDiv,
}

impl BinOp {
    /// The operator with ABI code `code`; codes past the last mean `Pow`.
    pub fn from_code(code: u32) -> BinOp {
        const ALL: [BinOp; 7] = [
            BinOp::Add,
            BinOp::Sub,
            BinOp::Mul,
            BinOp::Div,
            BinOp::Mod,
            BinOp::Pow,
            BinOp::FloorDiv,
        ];
        ALL.get(code as usize).copied().unwrap_or(BinOp::Pow)
    }

    fn verb(self) -> &'static str {
        match self {
            BinOp::Add => "addition",
            BinOp::Sub => "subtraction",
            BinOp::Mul => "multiplication",
            BinOp::Div => "division",
            BinOp::Mod => "modulo",
            BinOp::Pow => "power",
            BinOp::FloorDiv => "floor division",
        }
    }
}

enum Num {
    Int(i64),
    Float(f64),
}

fn num(v: Value) -> Option<Num> {
    if let Some(f) = v.as_float() {
        Some(Num::Float(f))
    } else {
        v.as_int().map(Num::Int)
    }
}

fn overflow(op: BinOp) -> CoreError {
    CoreError::new(
        ErrorKind::OverflowError,
        format!("Integer overflow in {}", op.verb()),
    )
}

/// `a op b` for numbers.
pub fn arith(op: BinOp, a: Value, b: Value) -> CoreResult<Value> {
    let (x, y) = match (num(a), num(b)) {
        (Some(x), Some(y)) => (x, y),
        (None, _) => return Err(unsupported(op, a)),
        (_, None) => return Err(unsupported(op, b)),
    };
    match (x, y) {
        (Num::Int(x), Num::Int(y)) => int_arith(op, x, y),
        (Num::Int(x), Num::Float(y)) => Ok(Value::float(float_arith(op, x as f64, y))),
        (Num::Float(x), Num::Int(y)) => Ok(Value::float(float_arith(op, x, y as f64))),
        (Num::Float(x), Num::Float(y)) => Ok(Value::float(float_arith(op, x, y))),
    }
}

fn unsupported(op: BinOp, v: Value) -> CoreError {
    CoreError::new(
        ErrorKind::TypeError,
        format!(
            "Unsupported operand for {}: {}",
            op.verb(),
            crate::print::repr(v)
        ),
    )
}

fn int_arith(op: BinOp, x: i64, y: i64) -> CoreResult<Value> {
    let r = match op {
        BinOp::Add => x.checked_add(y),
        BinOp::Sub => x.checked_sub(y),
        BinOp::Mul => x.checked_mul(y),
        BinOp::Div => return Ok(Value::float(x as f64 / y as f64)),
        BinOp::Mod => {
            if y == 0 {
                return Err(CoreError::new(ErrorKind::DivisionByZero, "Modulo by zero"));
            }
            Some(x.wrapping_rem(y))
        }
        BinOp::FloorDiv => return floor_div(x, y).map(Value::int),
        BinOp::Pow => {
            if y < 0 {
                return Ok(Value::float((x as f64).powf(y as f64)));
            }
            u32::try_from(y)
                .ok()
                .and_then(|e| x.checked_pow(e))
                .or(match x {
                    0 | 1 => Some(x),
                    -1 => Some(if y % 2 == 0 { 1 } else { -1 }),
                    _ => None,
                })
        }
    };
    r.map(Value::int).ok_or_else(|| overflow(op))
}

fn float_arith(op: BinOp, x: f64, y: f64) -> f64 {
    match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div => x / y,
        BinOp::Mod => x % y,
        BinOp::Pow => x.powf(y),
        BinOp::FloorDiv => (x / y).floor(),
    }
}

/// The Int methods native code computes inline on small ints (spec 07
/// §7.1: "as fast as `+`") while the runtime's flag
/// `gene_int_methods_builtin` says no program has defined a method of one
/// of these names.
pub const INLINED_INT_METHODS: [&str; 7] = [
    "bit_and", "bit_or", "bit_xor", "bit_not", "shl", "shr", "div",
];

/// `x // y` for two ints: the quotient rounded toward negative infinity.
/// Shared by the operator and `Int.div`.
pub fn floor_div(x: i64, y: i64) -> CoreResult<i64> {
    if y == 0 {
        return Err(CoreError::new(
            ErrorKind::DivisionByZero,
            "Division by zero",
        ));
    }
    let q = x.checked_div(y).ok_or_else(|| overflow(BinOp::FloorDiv))?;
    Ok(if x % y != 0 && ((x < 0) != (y < 0)) {
        q - 1
    } else {
        q
    })
}

pub fn negate(a: Value) -> CoreResult<Value> {
    match num(a) {
        Some(Num::Int(i)) => i
            .checked_neg()
            .map(Value::int)
            .ok_or_else(|| overflow(BinOp::Sub)),
        Some(Num::Float(f)) => Ok(Value::float(-f)),
        None => Err(CoreError::new(
            ErrorKind::TypeError,
            format!(
                "Unsupported operand for negation: {}",
                crate::print::repr(a)
            ),
        )),
    }
}

/// An ordering operator. The discriminant is its code in the native ABI
/// (`gene_compare`): `op as u32` encodes it, [`CmpOp::from_code`] decodes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    /// The operator with ABI code `code`; codes past the last mean `Ge`.
    pub fn from_code(code: u32) -> CmpOp {
        const ALL: [CmpOp; 4] = [CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge];
        ALL.get(code as usize).copied().unwrap_or(CmpOp::Ge)
    }

    pub fn text(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    fn holds(self, o: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CmpOp::Lt => o == Less,
            CmpOp::Le => o != Greater,
            CmpOp::Gt => o == Greater,
            CmpOp::Ge => o != Less,
        }
    }
}

/// `a op b`: numbers across int/float, strings by bytes, chars by code point.
pub fn compare(op: CmpOp, a: Value, b: Value) -> CoreResult<bool> {
    let ordering = match (num(a), num(b)) {
        (Some(Num::Int(x)), Some(Num::Int(y))) => Some(x.cmp(&y)),
        (Some(x), Some(y)) => {
            let fx = match x {
                Num::Int(i) => i as f64,
                Num::Float(f) => f,
            };
            let fy = match y {
                Num::Int(i) => i as f64,
                Num::Float(f) => f,
            };
            match fx.partial_cmp(&fy) {
                Some(o) => Some(o),
                None => return Ok(false),
            }
        }
        _ => match (a.as_str(), b.as_str(), a.as_char(), b.as_char()) {
            (Some(x), Some(y), _, _) => Some(x.as_bytes().cmp(y.as_bytes())),
            (_, _, Some(x), Some(y)) => Some(x.cmp(&y)),
            _ => match (a.obj(), b.obj()) {
                (Some(Obj::Host(x)), Some(Obj::Host(y))) => x.compare(&**y),
                _ => None,
            },
        },
    };
    match ordering {
        Some(o) => Ok(op.holds(o)),
        None => Err(CoreError::new(
            ErrorKind::TypeError,
            format!(
                "Cannot compare {} {} {}",
                type_name(a),
                op.text(),
                type_name(b)
            ),
        )),
    }
}

/// Pairs compared before [`equals`] starts remembering them: below this,
/// equality allocates nothing beyond its small work list.
const UNTRACKED_STEPS: usize = 256;

/// Structural equality (spec 02 §2.6).
///
/// Terminates on cyclic data and costs no Rust stack per nesting level: the
/// pairs still to compare are a work list, and once a comparison has taken
/// [`UNTRACKED_STEPS`] steps every pair is remembered and compared once. A
/// pair met again is assumed equal (the co-inductive reading, as Scheme's
/// `equal?` on cyclic lists): two structures are unequal exactly when some
/// pair of positions reachable in both differs, so two cyclic arrays whose
/// unfoldings agree are equal, and `a == a` is true for `a` holding itself.
pub fn equals(a: Value, b: Value) -> bool {
    equals_assuming(a, b, &mut Vec::new())
}

/// [`equals`], with the pairs of sets being compared by enclosing calls
/// (`open_sets`) assumed equal.
fn equals_assuming(a: Value, b: Value, open_sets: &mut Vec<(u64, u64)>) -> bool {
    let mut pending: SmallVec<[(Value, Value); 8]> = SmallVec::new();
    pending.push((a, b));
    let mut seen: Option<FxHashSet<(u64, u64)>> = None;
    let mut steps = 0usize;
    while let Some((a, b)) = pending.pop() {
        steps += 1;
        if steps > UNTRACKED_STEPS {
            let seen = seen.get_or_insert_with(FxHashSet::default);
            if !seen.insert((a.bits(), b.bits())) {
                continue;
            }
        }
        if !equal_here(a, b, &mut pending, open_sets) {
            return false;
        }
    }
    true
}

/// Compares `a` and `b` at the top level and pushes the pairs of elements
/// that must also be equal.
fn equal_here(
    a: Value,
    b: Value,
    pending: &mut SmallVec<[(Value, Value); 8]>,
    open_sets: &mut Vec<(u64, u64)>,
) -> bool {
    if a == b {
        // Identical bits are equal, except NaN and containers, whose
        // elements are compared pairwise (a NaN inside makes them unequal).
        let container = matches!(
            a.obj(),
            Some(Obj::Array(_) | Obj::Map(_) | Obj::Set(_) | Obj::Gene(_) | Obj::Quote(_))
        );
        if !container {
            return !a.as_float().is_some_and(f64::is_nan);
        }
    }
    if let (Some(x), Some(y)) = (a.as_float(), b.as_float()) {
        return x == y;
    }
    let (Some(x), Some(y)) = (a.obj(), b.obj()) else {
        return false;
    };
    match (x, y) {
        (Obj::Int(x), Obj::Int(y)) => x == y,
        (Obj::Str(x), Obj::Str(y)) => x == y,
        (Obj::ComplexSymbol(x), Obj::ComplexSymbol(y)) => x == y,
        (Obj::Array(x), Obj::Array(y)) => push_seq(&x.borrow(), &y.borrow(), pending),
        (Obj::Set(x), Obj::Set(y)) => {
            let pair = (a.bits(), b.bits());
            if open_sets.contains(&pair) {
                return true;
            }
            // Each element needs an equal partner: a disjunction, so every
            // candidate is its own comparison.
            let (x, y) = (x.borrow(), y.borrow());
            open_sets.push(pair);
            let equal = x.len() == y.len()
                && x.iter()
                    .all(|e| y.iter().any(|f| equals_assuming(*e, *f, open_sets)));
            open_sets.pop();
            equal
        }
        (Obj::Map(x), Obj::Map(y)) => push_map(&x.borrow(), &y.borrow(), pending),
        (Obj::Gene(x), Obj::Gene(y)) => {
            pending.push((x.ty.get(), y.ty.get()));
            push_map(&x.props.borrow(), &y.props.borrow(), pending)
                && push_seq(&x.children.borrow(), &y.children.borrow(), pending)
        }
        (Obj::Range(x), Obj::Range(y)) => x == y,
        (Obj::Quote(x), Obj::Quote(y)) => {
            pending.push((*x, *y));
            true
        }
        (Obj::Regex(x), Obj::Regex(y)) => x.pattern == y.pattern && x.flags == y.flags,
        (Obj::Host(x), Obj::Host(y)) => x.compare(&**y) == Some(std::cmp::Ordering::Equal),
        _ => false,
    }
}

fn push_seq(x: &[Value], y: &[Value], pending: &mut SmallVec<[(Value, Value); 8]>) -> bool {
    if x.len() != y.len() {
        return false;
    }
    // Reversed, so that elements are compared first to last.
    pending.extend(x.iter().copied().zip(y.iter().copied()).rev());
    true
}

fn push_map(
    x: &crate::object::PropMap,
    y: &crate::object::PropMap,
    pending: &mut SmallVec<[(Value, Value); 8]>,
) -> bool {
    if x.len() != y.len() {
        return false;
    }
    for (k, v) in x.iter() {
        match y.get(k) {
            Some(w) => pending.push((*v, *w)),
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap;

    fn int(i: i64) -> Value {
        Value::int(i)
    }

    #[test]
    fn abi_codes_decode_to_their_operator() {
        use BinOp::*;
        for op in [Add, Sub, Mul, Div, Mod, Pow, FloorDiv] {
            assert_eq!(BinOp::from_code(op as u32), op);
        }
        for op in [CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge] {
            assert_eq!(CmpOp::from_code(op as u32), op);
        }
    }

    #[test]
    fn int_arithmetic_is_checked() {
        assert_eq!(arith(BinOp::Add, int(2), int(3)).unwrap().as_int(), Some(5));
        let err = arith(BinOp::Add, int(i64::MAX), int(1)).unwrap_err();
        assert_eq!(err.message, "Integer overflow in addition");
        let err = arith(BinOp::Mul, int(i64::MAX), int(2)).unwrap_err();
        assert_eq!(err.kind, ErrorKind::OverflowError);
        assert!(negate(int(i64::MIN)).is_err());
    }

    #[test]
    fn division_is_float_and_never_raises() {
        let d = |a, b| {
            arith(BinOp::Div, int(a), int(b))
                .unwrap()
                .as_float()
                .unwrap()
        };
        assert_eq!(d(6, 2), 3.0);
        assert_eq!(d(1, 0), f64::INFINITY);
        assert_eq!(d(-1, 0), f64::NEG_INFINITY);
        assert!(d(0, 0).is_nan());
    }

    #[test]
    fn modulo_truncates_and_checks_zero() {
        assert_eq!(
            arith(BinOp::Mod, int(-7), int(3)).unwrap().as_int(),
            Some(-1)
        );
        let err = arith(BinOp::Mod, int(1), int(0)).unwrap_err();
        assert_eq!(err.kind, ErrorKind::DivisionByZero);
        let f = arith(BinOp::Mod, int(1), Value::float(0.0)).unwrap();
        assert!(f.as_float().unwrap().is_nan());
    }

    #[test]
    fn power_rules() {
        assert_eq!(
            arith(BinOp::Pow, int(2), int(10)).unwrap().as_int(),
            Some(1024)
        );
        assert_eq!(
            arith(BinOp::Pow, int(2), int(-1)).unwrap().as_float(),
            Some(0.5)
        );
        assert!(arith(BinOp::Pow, int(2), int(64)).is_err());
        assert_eq!(
            arith(BinOp::Pow, int(1), int(1 << 40)).unwrap().as_int(),
            Some(1)
        );
    }

    #[test]
    fn equality_rules() {
        assert!(!equals(int(1), Value::float(1.0)));
        assert!(!equals(Value::float(f64::NAN), Value::float(f64::NAN)));
        assert!(equals(
            heap::string("abcdefghij"),
            heap::string("abcdefghij")
        ));
        let a = heap::array(vec![int(1), heap::string("x")]);
        let b = heap::array(vec![int(1), heap::string("x")]);
        assert!(equals(a, b));
        assert!(equals(int(i64::MAX), int(i64::MAX)));
    }

    #[test]
    fn comparison_rules() {
        assert!(compare(CmpOp::Lt, int(1), Value::float(1.5)).unwrap());
        assert!(compare(CmpOp::Lt, heap::string("a"), heap::string("b")).unwrap());
        let err = compare(CmpOp::Lt, heap::string("a"), int(1)).unwrap_err();
        assert_eq!(err.message, "Cannot compare String < Int");
    }
}
