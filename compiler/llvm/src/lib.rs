//! placeholder
pub fn llvm_version() -> (u32, u32, u32) {
    inkwell::support::get_llvm_version()
}
