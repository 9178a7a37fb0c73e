//! Argument-count checks for the natives of spec 07, whose general rules
//! make a wrong count an `ArgumentError` naming the function and what it
//! expected (`.floor: expected no arguments, got 1`). Spec 04's natives
//! keep 03 §3.8 (wrong arity is not an error).

use crate::errors::VmResult;
use crate::vm::Vm;
use gene_core::ErrorKind;

/// `ArgumentError` unless `got` is within `min..=max` (`usize::MAX`: no
/// upper bound); `name` is the function's path or the method with its dot.
pub fn check(vm: &Vm, name: &str, got: usize, min: usize, max: usize) -> VmResult<()> {
    if (min..=max).contains(&got) {
        return Ok(());
    }
    let count = |n: usize| match n {
        0 => "no arguments".to_string(),
        1 => "1 argument".to_string(),
        n => format!("{n} arguments"),
    };
    let expected = if min == max {
        count(min)
    } else if max == usize::MAX {
        format!("at least {}", count(min))
    } else {
        format!("{min} to {}", count(max))
    };
    Err(vm.error(
        ErrorKind::ArgumentError,
        format!("{name}: expected {expected}, got {got}"),
    ))
}

/// The native `$f` behind a check that it got `$min..=$max` positional
/// arguments, as a `NativeFn`.
macro_rules! with_arity {
    ($name:expr, $min:expr, $max:expr, $f:expr) => {{
        fn checked(
            vm: &mut $crate::vm::Vm,
            this: gene_core::Value,
            args: &[gene_core::Value],
            props: Option<&gene_core::object::PropMap>,
        ) -> $crate::errors::VmResult {
            $crate::builtins::arity::check(vm, $name, args.len(), $min, $max)?;
            let f: $crate::builtins::NativeFn = $f;
            f(vm, this, args, props)
        }
        checked as $crate::builtins::NativeFn
    }};
}
pub(crate) use with_arity;
