//! `rand([n])` (spec 04 §4.1): a float in [0, 1), or an int in [0, n).
//!
//! A xorshift64* generator seeded from the clock, one per thread. Not for
//! cryptography.

use super::arg;
use crate::vm::Vm;
use gene_core::{ErrorKind, Value};
use std::cell::Cell;

thread_local! {
    static STATE: Cell<u64> = Cell::new(seed());
}

fn seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    // Never zero: xorshift would stay at zero forever.
    (nanos ^ 0x9E37_79B9_7F4A_7C15) | 1
}

fn next_u64() -> u64 {
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    })
}

pub fn install(vm: &mut Vm) {
    vm.def_fn("rand", |vm, _, args, _| {
        let n = arg(args, 0);
        if n.is_nil() {
            // 53 random bits: every float in [0, 1) with that spacing.
            return Ok(Value::float(
                (next_u64() >> 11) as f64 / (1u64 << 53) as f64,
            ));
        }
        match n.as_int() {
            Some(n) if n > 0 => Ok(Value::int((next_u64() % n as u64) as i64)),
            Some(n) => Err(vm.error(
                ErrorKind::ArgumentError,
                format!("rand: bound must be positive, got {n}"),
            )),
            None => Err(vm.bad_argument("rand: bound must be an int", n)),
        }
    });
}

#[cfg(test)]
mod tests {
    use crate::builtins::eval_for_test as eval;

    #[test]
    fn rand_stays_in_range() {
        let src = "(var ok true)
            (for i in (1 .. 200)
              (var f (rand)) (var n ($rand 3))
              (if (((f < 0) || (f >= 1)) || ((n < 0) || (n > 2))) (ok = false)))
            ok";
        assert_eq!(eval(src), "true");
        assert_eq!(
            eval("(rand 0)"),
            "Error: ArgumentError: rand: bound must be positive, got 0"
        );
    }
}
