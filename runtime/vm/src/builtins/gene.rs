//! Methods of `Gene` values, `(type ^k v child ...)` as data (spec 04
//! §4.4). `.props` and `.children` return copies, so changing them leaves
//! the gene alone. `.contains x` and `.size` are about the children
//! (`.contains` compares with `==`).

use super::arg;
use crate::errors::VmResult;
use crate::vm::Vm;
use gene_core::heap::{self, Obj};
use gene_core::numeric::equals;
use gene_core::object::{Gene, PropMap};
use gene_core::Value;

pub fn install(vm: &mut Vm) {
    let gene = vm.classes.gene;
    vm.def_method(gene, "type", |vm, this, _, _| Ok(parts(vm, this)?.ty.get()));
    vm.def_method(gene, "props", |vm, this, _, _| {
        Ok(heap::map(parts(vm, this)?.props.borrow().clone()))
    });
    vm.def_method(gene, "children", |vm, this, _, _| {
        Ok(heap::array(parts(vm, this)?.children.borrow().clone()))
    });
    vm.def_method(gene, "size", |vm, this, _, _| {
        Ok(Value::int(parts(vm, this)?.children.borrow().len() as i64))
    });
    vm.def_method(gene, "contains", contains);
}

fn parts(vm: &Vm, this: Value) -> VmResult<&'static Gene> {
    match this.obj() {
        Some(Obj::Gene(g)) => Ok(g),
        _ => Err(vm.bad_receiver("Gene method", "Gene", this)),
    }
}

fn contains(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let x = arg(args, 0);
    let g = parts(vm, this)?;
    let found = g.children.borrow().iter().any(|c| equals(*c, x));
    Ok(Value::bool(found))
}

#[cfg(test)]
mod tests {
    use crate::builtins::eval_for_test as eval;

    #[test]
    fn type_props_children() {
        assert_eq!(eval("(:(1 ^a 2 3 4) .type)"), "1");
        assert_eq!(eval("(:(1 ^a 2 3 4) .children)"), "[3 4]");
        assert_eq!(eval("(:(f ^a 2 3) .props)"), "{^a 2}");
        assert_eq!(eval("(:(f 3 \"x\") .size)"), "2");
        assert_eq!(
            eval("[(:(f 3 [1]) .contains [1]) (:(f 3) .contains 4)]"),
            "[true false]"
        );
    }

    #[test]
    fn copies_do_not_alias_the_gene() {
        assert_eq!(
            eval("(var g :(f 1)) ((g .children) .add 2) ((g .props) .set :k 1) g"),
            "(f 1)"
        );
    }
}
