//! The extension loader (spec 05 §5.7): native extensions are shared
//! libraries loaded with `libloading` and initialised through a versioned C
//! ABI. `examples/ext/gene_ext.h` is the reference for that ABI; the
//! `#[repr(C)]` types here mirror it field for field.
//!
//! A library is loaded by `(import f g from "path" ^^native)` (compiled to
//! a call of `gene/load_extension`) or on first access to `genex/<name>`.
//! Loaded libraries are never unloaded (their code may still run as
//! finalizers), and each is loaded once per resolved path: its namespace is
//! cached and rooted.
//!
//! Extension functions are `Obj::Native` values whose id has
//! [`EXT_NATIVE_BIT`] set: the rest indexes this thread's table of C
//! function pointers rather than `Vm::natives`.

use crate::errors::VmResult;
use crate::names::{bump_epoch, namespace_of};
use crate::vm::{new_class, new_namespace, Vm};
use gene_core::gc::hooks;
use gene_core::heap::{self, Obj};
use gene_core::object::{Finalizer, NativeFn as NativeObj, PropMap};
use gene_core::{ErrorKind, Symbol, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{c_char, c_void, CStr};
use std::path::{Path, PathBuf};

/// The ABI version this runtime implements (`GENE_EXT_ABI_VERSION`).
pub const ABI_VERSION: u32 = 1;

/// Set in the id of an `Obj::Native` that is an extension function.
pub const EXT_NATIVE_BIT: u32 = 1 << 31;

/// The name of the symbol every extension exports.
pub const INIT_SYMBOL: &str = "gene_extension_init";

/// The running VM as the extension sees it (opaque).
#[repr(C)]
pub struct GeneCtx {
    _private: [u8; 0],
}

/// `GeneResult`: a value, or (`is_error != 0`) a thrown value.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct GeneResult {
    pub value: u64,
    pub is_error: u32,
}

/// `GeneNativeFn`: (ctx, self, argv, argc, named).
pub type GeneNativeFn =
    unsafe extern "C" fn(*mut GeneCtx, u64, *const u64, usize, u64) -> GeneResult;

/// `GeneType`, as answered by `type_of`.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeneType {
    Nil = 0,
    Bool = 1,
    Int = 2,
    Float = 3,
    String = 4,
    Symbol = 5,
    Array = 6,
    Map = 7,
    Custom = 8,
    Other = 9,
}

/// `GeneHostApi`: what the runtime offers an extension.
#[repr(C)]
pub struct GeneHostApi {
    pub abi_version: u32,
    pub size: u32,
    pub ctx: *mut GeneCtx,

    pub nil: extern "C" fn() -> u64,
    pub boolean: extern "C" fn(i32) -> u64,
    pub int64: extern "C" fn(i64) -> u64,
    pub float64: extern "C" fn(f64) -> u64,
    pub string: unsafe extern "C" fn(*const c_char, usize) -> u64,
    pub symbol: unsafe extern "C" fn(*const c_char) -> u64,
    pub array_new: extern "C" fn() -> u64,
    pub array_push: extern "C" fn(u64, u64),

    pub type_of: extern "C" fn(u64) -> i32,
    pub truthy: extern "C" fn(u64) -> i32,
    pub get_int: unsafe extern "C" fn(u64, *mut i64) -> i32,
    pub get_float: unsafe extern "C" fn(u64, *mut f64) -> i32,
    pub get_string: unsafe extern "C" fn(u64, *mut usize) -> *const c_char,
    pub array_len: extern "C" fn(u64) -> i64,
    pub array_get: extern "C" fn(u64, i64) -> u64,
    pub map_get: unsafe extern "C" fn(u64, *const c_char) -> u64,

    pub new_function: unsafe extern "C" fn(*const c_char, Option<GeneNativeFn>) -> u64,
    pub new_namespace: unsafe extern "C" fn(*const c_char) -> u64,
    pub new_class: unsafe extern "C" fn(*mut GeneCtx, *const c_char, u64) -> u64,
    pub define: unsafe extern "C" fn(*mut GeneCtx, u64, *const c_char, u64),
    pub def_function: unsafe extern "C" fn(*mut GeneCtx, u64, *const c_char, Option<GeneNativeFn>),
    pub def_method: unsafe extern "C" fn(*mut GeneCtx, u64, *const c_char, Option<GeneNativeFn>),

    pub raise: unsafe extern "C" fn(*mut GeneCtx, *const c_char, *const c_char) -> GeneResult,
    pub write_out: unsafe extern "C" fn(*mut GeneCtx, *const c_char, usize),

    pub new_custom: extern "C" fn(*mut c_void, Option<Finalizer>, u64) -> u64,
    pub custom_data: extern "C" fn(u64) -> *mut c_void,
    pub register_root: extern "C" fn(u64) -> u64,
    pub unregister_root: extern "C" fn(u64),
    pub request_collection: extern "C" fn(),
    pub write_barrier: extern "C" fn(u64, u64),
}

/// `GeneExtension`: filled in by the extension's init.
#[repr(C)]
pub struct GeneExtension {
    pub abi_version: u32,
    pub reserved: u32,
    pub ns: u64,
}

/// `gene_extension_init`.
pub type InitFn = unsafe extern "C" fn(*const GeneHostApi, *mut GeneExtension) -> i32;

/// This thread's loaded extensions and their functions.
#[derive(Default)]
struct Registry {
    /// Extension namespaces by resolved library path.
    loaded: HashMap<PathBuf, Value>,
    /// The C function of each extension native, by id (without the bit).
    functions: Vec<GeneNativeFn>,
}

thread_local! {
    static REGISTRY: RefCell<Registry> = RefCell::new(Registry::default());
}

/// The directory `genex/<name>` looks in after `GENE_EXTENSION_PATH` (the
/// executable's when unset).
static PROGRAM_DIR: std::sync::Mutex<Option<PathBuf>> = std::sync::Mutex::new(None);

/// Sets the program's directory, searched for `genex/<name>` libraries:
/// the script's directory under `gene run`, the executable's in a built
/// program.
pub fn set_program_dir(dir: impl Into<PathBuf>) {
    if let Ok(mut d) = PROGRAM_DIR.lock() {
        *d = Some(dir.into());
    }
}

fn program_dir() -> Option<PathBuf> {
    let set = PROGRAM_DIR.lock().ok().and_then(|d| d.clone());
    set.or_else(|| {
        let exe = std::env::current_exe().ok()?;
        exe.parent().map(Path::to_path_buf)
    })
}

fn value(bits: u64) -> Value {
    // Safety: extensions only pass bits they received from the runtime.
    unsafe { Value::from_bits(bits) }
}

/// # Safety
/// `s` is null or a NUL-terminated string.
unsafe fn text<'a>(s: *const c_char) -> std::borrow::Cow<'a, str> {
    if s.is_null() {
        return "".into();
    }
    CStr::from_ptr(s).to_string_lossy()
}

/// # Safety
/// `ctx` is the `*mut GeneCtx` the runtime handed out: a live VM.
unsafe fn vm<'a>(ctx: *mut GeneCtx) -> &'a Vm {
    &*(ctx as *const Vm)
}

fn ctx_of(vm: &Vm) -> *mut GeneCtx {
    vm as *const Vm as *mut GeneCtx
}

/// A new extension native called `name`.
fn native_value(name: &str, f: GeneNativeFn) -> Value {
    let id = REGISTRY.with(|r| {
        let mut r = r.borrow_mut();
        r.functions.push(f);
        (r.functions.len() - 1) as u32
    });
    assert!(id < EXT_NATIVE_BIT, "too many extension functions");
    heap::alloc(Obj::Native(NativeObj {
        name: Symbol::intern(name),
        id: id | EXT_NATIVE_BIT,
    }))
}

/// Calls the extension native `id` (with [`EXT_NATIVE_BIT`] set).
pub fn call(
    vm: &mut Vm,
    id: u32,
    self_val: Value,
    args: &[Value],
    props: Option<&PropMap>,
) -> VmResult {
    let f = REGISTRY.with(|r| r.borrow().functions[(id & !EXT_NATIVE_BIT) as usize]);
    let argv: Vec<u64> = args.iter().map(|v| v.bits()).collect();
    let named = match props {
        Some(p) if !p.is_empty() => heap::map(p.clone()),
        _ => Value::NIL,
    };
    // Safety: `f` was registered by an extension as a `GeneNativeFn`; argv
    // holds argc values; the ctx is this VM.
    let r = unsafe {
        f(
            ctx_of(vm),
            self_val.bits(),
            argv.as_ptr(),
            argv.len(),
            named.bits(),
        )
    };
    if r.is_error != 0 {
        Err(value(r.value))
    } else {
        Ok(value(r.value))
    }
}

// The host API's functions.

extern "C" fn api_nil() -> u64 {
    Value::NIL.bits()
}

extern "C" fn api_boolean(b: i32) -> u64 {
    Value::bool(b != 0).bits()
}

extern "C" fn api_int64(i: i64) -> u64 {
    Value::int(i).bits()
}

extern "C" fn api_float64(f: f64) -> u64 {
    Value::float(f).bits()
}

unsafe extern "C" fn api_string(bytes: *const c_char, len: usize) -> u64 {
    let s = if bytes.is_null() || len == 0 {
        String::new()
    } else {
        String::from_utf8_lossy(std::slice::from_raw_parts(bytes as *const u8, len)).into_owned()
    };
    heap::string(s).bits()
}

unsafe extern "C" fn api_symbol(name: *const c_char) -> u64 {
    Value::symbol(Symbol::intern(&text(name))).bits()
}

extern "C" fn api_array_new() -> u64 {
    heap::array(Vec::new()).bits()
}

extern "C" fn api_array_push(array: u64, item: u64) {
    if let Some(Obj::Array(items)) = value(array).obj() {
        items.borrow_mut().push(value(item));
    }
}

fn type_of(v: Value) -> GeneType {
    if v.is_nil() {
        return GeneType::Nil;
    }
    if v.as_bool().is_some() {
        return GeneType::Bool;
    }
    if v.as_int().is_some() {
        return GeneType::Int;
    }
    if v.is_float() {
        return GeneType::Float;
    }
    if v.as_symbol().is_some() {
        return GeneType::Symbol;
    }
    match v.obj() {
        Some(Obj::Str(_)) => GeneType::String,
        Some(Obj::Array(_)) => GeneType::Array,
        Some(Obj::Map(_)) => GeneType::Map,
        Some(Obj::Custom(_)) => GeneType::Custom,
        _ => GeneType::Other,
    }
}

extern "C" fn api_type_of(v: u64) -> i32 {
    type_of(value(v)) as i32
}

extern "C" fn api_truthy(v: u64) -> i32 {
    value(v).is_truthy() as i32
}

unsafe extern "C" fn api_get_int(v: u64, out: *mut i64) -> i32 {
    match value(v).as_int() {
        Some(i) if !out.is_null() => {
            *out = i;
            1
        }
        _ => 0,
    }
}

unsafe extern "C" fn api_get_float(v: u64, out: *mut f64) -> i32 {
    match value(v).as_number() {
        Some(f) if !out.is_null() => {
            *out = f;
            1
        }
        _ => 0,
    }
}

unsafe extern "C" fn api_get_string(v: u64, len: *mut usize) -> *const c_char {
    let v = value(v);
    let s = v.as_str().or_else(|| v.as_symbol().map(|s| s.name()));
    match s {
        Some(s) => {
            if !len.is_null() {
                *len = s.len();
            }
            s.as_ptr() as *const c_char
        }
        None => {
            if !len.is_null() {
                *len = 0;
            }
            std::ptr::null()
        }
    }
}

extern "C" fn api_array_len(array: u64) -> i64 {
    match value(array).obj() {
        Some(Obj::Array(items)) => items.borrow().len() as i64,
        _ => -1,
    }
}

extern "C" fn api_array_get(array: u64, i: i64) -> u64 {
    match value(array).obj() {
        Some(Obj::Array(items)) => usize::try_from(i)
            .ok()
            .and_then(|i| items.borrow().get(i).copied())
            .unwrap_or(Value::NIL)
            .bits(),
        _ => Value::NIL.bits(),
    }
}

unsafe extern "C" fn api_map_get(map: u64, key: *const c_char) -> u64 {
    match value(map).obj() {
        Some(Obj::Map(m)) => m
            .borrow()
            .get(&Symbol::intern(&text(key)))
            .copied()
            .unwrap_or(Value::NIL)
            .bits(),
        _ => Value::NIL.bits(),
    }
}

unsafe extern "C" fn api_new_function(name: *const c_char, f: Option<GeneNativeFn>) -> u64 {
    match f {
        Some(f) => native_value(&text(name), f).bits(),
        None => Value::NIL.bits(),
    }
}

unsafe extern "C" fn api_new_namespace(name: *const c_char) -> u64 {
    new_namespace(&text(name), Value::NIL).bits()
}

unsafe extern "C" fn api_new_class(ctx: *mut GeneCtx, name: *const c_char, parent: u64) -> u64 {
    let vm = vm(ctx);
    let parent = match value(parent) {
        p if matches!(p.obj(), Some(Obj::Class(_))) => p,
        _ => vm.classes.object,
    };
    new_class(&text(name), parent, vm.gene_ns, false).bits()
}

unsafe extern "C" fn api_define(_ctx: *mut GeneCtx, ns: u64, name: *const c_char, v: u64) {
    if let Some(table) = namespace_of(value(ns)) {
        table
            .members
            .borrow_mut()
            .insert(Symbol::intern(&text(name)), value(v));
        bump_epoch();
    }
}

unsafe extern "C" fn api_def_function(
    ctx: *mut GeneCtx,
    ns: u64,
    name: *const c_char,
    f: Option<GeneNativeFn>,
) {
    let f = api_new_function(name, f);
    api_define(ctx, ns, name, f);
}

unsafe extern "C" fn api_def_method(
    _ctx: *mut GeneCtx,
    class: u64,
    name: *const c_char,
    f: Option<GeneNativeFn>,
) {
    let (Some(Obj::Class(c)), Some(f)) = (value(class).obj(), f) else {
        return;
    };
    let name = text(name);
    let method = native_value(&name, f);
    c.methods.borrow_mut().insert(Symbol::intern(&name), method);
    crate::access::methods_changed();
    crate::access::program_defined_method(Symbol::intern(&name));
}

unsafe extern "C" fn api_raise(
    ctx: *mut GeneCtx,
    class_name: *const c_char,
    message: *const c_char,
) -> GeneResult {
    let vm = vm(ctx);
    let class_name = text(class_name);
    let class = ErrorKind::ALL
        .iter()
        .position(|k| k.class_name() == class_name)
        .map_or(vm.classes.exception, |i| vm.error_classes[i]);
    GeneResult {
        value: vm.make_exception(class, text(message).into_owned()).bits(),
        is_error: 1,
    }
}

unsafe extern "C" fn api_write_out(ctx: *mut GeneCtx, bytes: *const c_char, len: usize) {
    if bytes.is_null() {
        return;
    }
    let s = String::from_utf8_lossy(std::slice::from_raw_parts(bytes as *const u8, len));
    vm(ctx).write_out(&s);
}

fn host_api(vm: &Vm) -> GeneHostApi {
    GeneHostApi {
        abi_version: ABI_VERSION,
        size: std::mem::size_of::<GeneHostApi>() as u32,
        ctx: ctx_of(vm),
        nil: api_nil,
        boolean: api_boolean,
        int64: api_int64,
        float64: api_float64,
        string: api_string,
        symbol: api_symbol,
        array_new: api_array_new,
        array_push: api_array_push,
        type_of: api_type_of,
        truthy: api_truthy,
        get_int: api_get_int,
        get_float: api_get_float,
        get_string: api_get_string,
        array_len: api_array_len,
        array_get: api_array_get,
        map_get: api_map_get,
        new_function: api_new_function,
        new_namespace: api_new_namespace,
        new_class: api_new_class,
        define: api_define,
        def_function: api_def_function,
        def_method: api_def_method,
        raise: api_raise,
        write_out: api_write_out,
        new_custom: hooks::gene_gc_new_custom,
        custom_data: hooks::gene_gc_custom_data,
        register_root: hooks::gene_gc_register_root,
        unregister_root: hooks::gene_gc_unregister_root,
        request_collection: hooks::gene_gc_request_collection,
        write_barrier: hooks::gene_gc_write_barrier,
    }
}

/// `path` with the platform's library suffix appended when it has none.
fn with_suffix(path: &str) -> String {
    let suffix = std::env::consts::DLL_SUFFIX;
    if path.ends_with(suffix) {
        path.to_string()
    } else {
        format!("{path}{suffix}")
    }
}

/// Directories of `GENE_EXTENSION_PATH`.
fn extension_path() -> Vec<PathBuf> {
    std::env::var_os("GENE_EXTENSION_PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default()
}

/// Whether this process can load shared libraries: a fully static Linux
/// executable (`gene build --static`) has no dynamic loader.
fn dynamic_loading_available() -> bool {
    #[cfg(target_os = "linux")]
    {
        extern "C" {
            fn getauxval(kind: std::ffi::c_ulong) -> std::ffi::c_ulong;
        }
        const AT_BASE: std::ffi::c_ulong = 7;
        // Safety: getauxval has no preconditions. AT_BASE is the dynamic
        // loader's base address: 0 when there is none.
        unsafe { getauxval(AT_BASE) != 0 }
    }
    #[cfg(not(target_os = "linux"))]
    {
        true
    }
}

/// `(load_extension path [importer])`: what `import ... ^^native` compiles
/// to; `importer` is the importing file, for relative paths.
fn load_extension_native(
    vm: &mut Vm,
    _self: Value,
    args: &[Value],
    _props: Option<&PropMap>,
) -> VmResult {
    let path = crate::builtins::text_arg(vm, args, 0, "load_extension: path must be a string")?;
    let importer = args.get(1).and_then(|v| v.as_str()).unwrap_or("");
    vm.load_extension(&path, importer)
}

/// Registers `gene/load_extension`.
pub fn install(vm: &mut Vm) {
    vm.def_fn("load_extension", load_extension_native);
}

impl Vm {
    fn import_error(&self, message: String) -> Value {
        self.error(ErrorKind::ImportError, message)
    }

    /// `(import ... from "path" ^^native)`: loads the library `path` (suffix
    /// appended if missing) as `importer` would import a module, and
    /// returns its namespace.
    pub fn load_extension(&self, path: &str, importer: &str) -> VmResult {
        let shown = with_suffix(path);
        let name = crate::linked_ext::name_of(path);
        if let Some(init) = crate::linked_ext::find(&name) {
            return self.load_linked(init, &name, &shown);
        }
        let importer = self.importing_file(importer);
        let found = crate::modules::find_file(
            &shown,
            importer,
            self.embedded.as_ref(),
            "GENE_EXTENSION_PATH",
        );
        match found {
            Some(file) => self.load_extension_file(&file, &shown),
            None if !dynamic_loading_available() => Err(self.static_error(&shown)),
            None => {
                Err(self.import_error(format!("Failed to load extension: {shown}: no such file")))
            }
        }
    }

    /// `genex/<name>`: the extension `lib<name>` found in
    /// `GENE_EXTENSION_PATH` or the program's directory (never the working
    /// directory); defined as member `name` of `genex` once loaded.
    pub fn load_genex(&self, name: Symbol) -> VmResult {
        if let Some(init) = crate::linked_ext::find(name.name()) {
            let ns = self.load_linked(init, name.name(), name.name())?;
            if let Some(table) = namespace_of(self.genex_ns) {
                table.members.borrow_mut().insert(name, ns);
                bump_epoch();
            }
            return Ok(ns);
        }
        let file = format!(
            "{}{}{}",
            std::env::consts::DLL_PREFIX,
            name.name(),
            std::env::consts::DLL_SUFFIX
        );
        let found = extension_path()
            .into_iter()
            .chain(program_dir())
            .map(|dir| dir.join(&file))
            .find(|p| p.is_file());
        let Some(found) = found else {
            if !dynamic_loading_available() {
                return Err(self.static_error(&file));
            }
            return Err(self.import_error(format!(
                "Failed to load extension: {file}: not found in GENE_EXTENSION_PATH \
                 or the program's directory"
            )));
        };
        let ns = self.load_extension_file(&found, &file)?;
        if let Some(table) = namespace_of(self.genex_ns) {
            table.members.borrow_mut().insert(name, ns);
            bump_epoch();
        }
        Ok(ns)
    }

    /// The error for loading a shared library into a static executable.
    fn static_error(&self, shown: &str) -> Value {
        self.import_error(format!(
            "Failed to load extension: {shown}: this executable is statically linked \
             (gene build --static, or a musl target) and cannot load shared libraries; \
             link the extension in with gene build --link-extension libNAME.a"
        ))
    }

    /// Loads (once) and initialises the library at `file`; `shown` names it
    /// in errors.
    fn load_extension_file(&self, file: &Path, shown: &str) -> VmResult {
        let key = file.canonicalize().unwrap_or_else(|_| file.to_path_buf());
        if let Some(ns) = REGISTRY.with(|r| r.borrow().loaded.get(&key).copied()) {
            return Ok(ns);
        }
        if !dynamic_loading_available() {
            return Err(self.static_error(shown));
        }
        // Safety: loading a library runs its initialisers; extensions are
        // trusted code, as modules are.
        let library = unsafe { libloading::Library::new(&key) }
            .map_err(|e| self.import_error(format!("Failed to load extension: {shown}: {e}")))?;
        // Safety: the symbol is declared by gene_ext.h with this type.
        let init: InitFn = match unsafe { library.get::<InitFn>(INIT_SYMBOL.as_bytes()) } {
            Ok(symbol) => *symbol,
            Err(_) => {
                return Err(
                    self.import_error(format!("{INIT_SYMBOL} not found in extension: {shown}"))
                )
            }
        };
        let stem = key
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stem = stem
            .strip_prefix(std::env::consts::DLL_PREFIX)
            .unwrap_or(&stem)
            .to_string();
        let ns = self.init_extension(init, key, &stem, shown)?;
        // Never unloaded: finalizers and natives point into the library.
        std::mem::forget(library);
        Ok(ns)
    }

    /// Initialises (once) the extension `name` linked into the executable
    /// (`gene build --link-extension`, see `linked_ext.rs`).
    fn load_linked(&self, init: InitFn, name: &str, shown: &str) -> VmResult {
        let key = PathBuf::from(format!("<linked>/{name}"));
        if let Some(ns) = REGISTRY.with(|r| r.borrow().loaded.get(&key).copied()) {
            return Ok(ns);
        }
        self.init_extension(init, key, name, shown)
    }

    /// Runs an extension's `init` into a new namespace `stem` and caches the
    /// result under `key`.
    fn init_extension(&self, init: InitFn, key: PathBuf, stem: &str, shown: &str) -> VmResult {
        let ns = new_namespace(stem, Value::NIL);
        // Extensions keep the table: it lives as long as the process.
        let host: &'static GeneHostApi = Box::leak(Box::new(host_api(self)));
        let mut out = GeneExtension {
            abi_version: 0,
            reserved: 0,
            ns: ns.bits(),
        };
        // The namespace stays reachable while init runs (and after).
        gene_core::gc::register_root(ns);
        // Safety: `init` follows gene_ext.h; `out` outlives the call.
        let status = unsafe { init(host, &mut out) };
        // An init that gave up before setting the version failed; one that
        // succeeded must have set it.
        if (status == 0 || out.abi_version != 0) && out.abi_version != ABI_VERSION {
            return Err(self.import_error(format!(
                "Extension ABI version mismatch: {shown} was built for version {}, \
                 this runtime provides version {ABI_VERSION}",
                out.abi_version
            )));
        }
        if status != 0 {
            return Err(self.import_error(format!(
                "Extension init failed: {shown} (returned {status})"
            )));
        }
        let result = value(out.ns);
        if namespace_of(result).is_none() {
            return Err(self.import_error(format!("Extension init returned no namespace: {shown}")));
        }
        if result.bits() != ns.bits() {
            gene_core::gc::register_root(result);
        }
        let ns = result;
        REGISTRY.with(|r| r.borrow_mut().loaded.insert(key, ns));
        Ok(ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_is_appended_once() {
        let s = std::env::consts::DLL_SUFFIX;
        assert_eq!(with_suffix("ext/fast"), format!("ext/fast{s}"));
        assert_eq!(with_suffix(&format!("a{s}")), format!("a{s}"));
    }

    #[test]
    fn missing_library_is_an_import_error() {
        let vm = Vm::new(Default::default());
        let err = vm.load_extension("no/such/ext", "main.gene").unwrap_err();
        let message = vm.exception_message(err).unwrap();
        assert!(
            message.starts_with("Failed to load extension: no/such/ext"),
            "{message}"
        );
    }

    #[test]
    fn the_host_table_is_pointer_aligned() {
        // gene_ext.h: two u32s, then pointers only.
        let words = std::mem::size_of::<GeneHostApi>() / std::mem::size_of::<usize>();
        assert_eq!(words, 1 + 1 + 30);
    }
}
