//! Clock and sleeping (spec 04 §4.1, §4.3, spec 07 §7.5): `gene/time/now`,
//! `gene/time/monotonic`, `gene/time/sleep`, `sleep`, `sleep_async`.

use super::arg;
use crate::errors::VmResult;
use crate::interp::new_future;
use crate::vm::Vm;
use gene_core::object::{FutureState, PropMap};
use gene_core::Value;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub fn install(vm: &mut Vm) {
    let time = vm.builtin_namespace("time");
    vm.def_fn_in(time, "now", |_, _, _, _| {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Ok(Value::float(since.as_secs_f64()))
    });
    // Seconds since the first use of the clock, so that values stay small.
    vm.def_fn_in(time, "monotonic", |_, _, _, _| {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        let start = START.get_or_init(std::time::Instant::now);
        Ok(Value::float(start.elapsed().as_secs_f64()))
    });
    vm.def_fn_in(time, "sleep", sleep_seconds);
    vm.def_fn("sleep", sleep);
    vm.def_fn("sleep_async", |vm, this, args, props| {
        sleep(vm, this, args, props)?;
        Ok(new_future(FutureState::Success, Value::NIL))
    });
}

/// `(sleep ms)`: an int is milliseconds, a float seconds (the reference
/// multiplies by 1000).
fn sleep(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let v = arg(args, 0);
    let duration = match (v.as_int(), v.as_float()) {
        (Some(ms), _) if ms >= 0 => Some(Duration::from_millis(ms as u64)),
        (_, Some(secs)) => Duration::try_from_secs_f64(secs).ok(),
        _ => None,
    };
    let Some(duration) = duration else {
        return Err(vm.bad_argument("sleep needs a non-negative int (ms) or float (seconds)", v));
    };
    vm.flush();
    std::thread::sleep(duration);
    Ok(Value::NIL)
}

/// `(gene/time/sleep secs)`: an Int or a Float number of seconds.
fn sleep_seconds(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let v = arg(args, 0);
    let secs = v.as_int().map(|i| i as f64).or(v.as_float());
    let Some(duration) = secs.and_then(|s| Duration::try_from_secs_f64(s).ok()) else {
        return Err(vm.bad_argument(
            "gene/time/sleep: expected a non-negative number of seconds (Int or Float)",
            v,
        ));
    };
    vm.flush();
    std::thread::sleep(duration);
    Ok(Value::NIL)
}

#[cfg(test)]
mod tests {
    use crate::builtins::eval_for_test as eval;

    #[test]
    fn now_is_seconds_since_the_epoch() {
        assert_eq!(eval("((time/now) > 1.6e9)"), "true");
        assert_eq!(eval("((gene/time/now) .class)"), "<Class Float>");
    }

    #[test]
    fn sleep_checks_its_argument() {
        assert_eq!(eval("(sleep 1)"), "nil");
        assert_eq!(eval("((sleep_async 0.001) .state)"), "success");
        assert_eq!(
            eval("(sleep -1)"),
            "Error: ArgumentError: sleep needs a non-negative int (ms) or float (seconds), got Int"
        );
    }
}
