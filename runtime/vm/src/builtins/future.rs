//! Futures (spec 03 §3.18, 04 §4.4): `(new gene/Future [v])`, the methods
//! of `Future` and `complete_future`.
//!
//! Everything runs synchronously: a callback registered on a settled future
//! runs at once, one registered on a pending future runs when `.complete`
//! or `.fail` settles it. Callbacks get the value (or the failure) as their
//! argument; their results are ignored and an exception they throw
//! propagates to whoever registered or settled. Settling a future that is
//! already settled raises `AsyncError`.

use super::arg;
use crate::errors::VmResult;
use crate::interp::new_future;
use crate::vm::Vm;
use gene_core::heap::Obj;
use gene_core::object::{Future, FutureState, PropMap};
use gene_core::{ErrorKind, Symbol, Value};

pub fn install(vm: &mut Vm) {
    let future = vm.classes.future;
    vm.def_method(future, "ctor", ctor);
    vm.def_method(future, "state", |vm, this, _, _| {
        let name = match state(vm, this)?.state.get() {
            FutureState::Pending => "pending",
            FutureState::Success => "success",
            FutureState::Failure => "failure",
        };
        Ok(Value::symbol(Symbol::intern(name)))
    });
    vm.def_method(future, "value", |vm, this, _, _| {
        Ok(state(vm, this)?.value.get())
    });
    vm.def_method(future, "on_success", |vm, this, args, _| {
        on_settled(vm, this, arg(args, 0), FutureState::Success)
    });
    vm.def_method(future, "on_failure", |vm, this, args, _| {
        on_settled(vm, this, arg(args, 0), FutureState::Failure)
    });
    vm.def_method(future, "complete", |vm, this, args, _| {
        settle(vm, this, FutureState::Success, arg(args, 0))
    });
    vm.def_method(future, "fail", |vm, this, args, _| {
        settle(vm, this, FutureState::Failure, arg(args, 0))
    });
    vm.def_fn("complete_future", |vm, _, args, _| {
        settle(vm, arg(args, 0), FutureState::Success, arg(args, 1))
    });
}

fn state(vm: &Vm, this: Value) -> VmResult<&'static Future> {
    match this.obj() {
        Some(Obj::Future(f)) => Ok(f),
        _ => Err(vm.bad_argument("expected a Future", this)),
    }
}

/// `(new gene/Future)` is pending; `(new gene/Future v)` completed with v.
fn ctor(_: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(match args.first() {
        Some(v) => new_future(FutureState::Success, *v),
        None => new_future(FutureState::Pending, Value::NIL),
    })
}

/// `.on_success cb` / `.on_failure cb`: runs `cb` now if the future has
/// settled that way, stores it if pending; returns the future.
fn on_settled(vm: &mut Vm, this: Value, cb: Value, when: FutureState) -> VmResult {
    let f = state(vm, this)?;
    match f.state.get() {
        FutureState::Pending => {
            let list = match when {
                FutureState::Failure => &f.on_failure,
                _ => &f.on_success,
            };
            list.borrow_mut().push(cb);
        }
        s if s == when => {
            vm.call_value(cb, &[f.value.get()])?;
        }
        _ => {}
    }
    Ok(this)
}

/// Settles a pending future and runs the callbacks waiting for that
/// outcome; returns the future.
fn settle(vm: &mut Vm, this: Value, outcome: FutureState, v: Value) -> VmResult {
    let f = state(vm, this)?;
    if f.state.get() != FutureState::Pending {
        return Err(vm.error(ErrorKind::AsyncError, "Future is already settled"));
    }
    f.state.set(outcome);
    f.value.set(v);
    let success = std::mem::take(&mut *f.on_success.borrow_mut());
    let failure = std::mem::take(&mut *f.on_failure.borrow_mut());
    let callbacks = match outcome {
        FutureState::Failure => failure,
        _ => success,
    };
    for cb in callbacks {
        vm.call_value(cb, &[v])?;
    }
    Ok(this)
}

#[cfg(test)]
mod tests {
    use crate::builtins::eval_for_test as eval;

    #[test]
    fn state_and_value() {
        assert_eq!(eval("((async 1) .state)"), "success");
        assert_eq!(eval("((async (throw \"x\")) .state)"), "failure");
        assert_eq!(eval("((new gene/Future) .state)"), "pending");
        assert_eq!(eval("((new gene/Future) .value)"), "nil");
        assert_eq!(eval("((new gene/Future 3) .value)"), "3");
    }

    #[test]
    fn callbacks_on_settled_futures_run_at_once() {
        assert_eq!(
            eval("(var got 0) ((async 7) .on_success (v -> (got = v))) got"),
            "7"
        );
        assert_eq!(
            eval("(var got 0) ((async 7) .on_failure (v -> (got = v))) got"),
            "0"
        );
    }

    #[test]
    fn callbacks_on_pending_futures_run_when_settled() {
        let src = "(var f (new gene/Future)) (var got [])
            (f .on_success (v -> (got .add v)))
            (f .on_failure (v -> (got .add :bad)))
            (got .add :before)
            (f .complete 5)
            [got (f .state) (await f)]";
        assert_eq!(eval(src), "[[before 5] success 5]");
        let src = "(var f (new gene/Future)) (var got [])
            (f .on_failure (e -> (got .add e)))
            (f .fail \"boom\")
            [got (f .state)]";
        assert_eq!(eval(src), r#"[["boom"] failure]"#);
        assert_eq!(
            eval("(var f (new gene/Future)) (complete_future f 2) (await f)"),
            "2"
        );
    }

    #[test]
    fn settling_twice_raises() {
        assert_eq!(
            eval("((async 1) .complete 2)"),
            "Error: AsyncError: Future is already settled"
        );
    }
}
