/*
 * gene_ext.h: the C ABI of Gene native extensions (spec 05 §5.7).
 *
 * This header is the reference for C users; runtime/vm/src/extension.rs
 * mirrors it for the runtime. Change both together and bump
 * GENE_EXT_ABI_VERSION on any incompatible change.
 *
 * An extension is a shared library exporting
 *
 *     int32_t gene_extension_init(const GeneHostApi *host, GeneExtension *out);
 *
 * The runtime calls it once, when the library is first loaded by
 * `(import f g from "path" ^^native)` or by an access to `genex/<name>`.
 * Before the call `out->ns` is a fresh namespace and `out->abi_version` is 0.
 * The extension defines its members in `out->ns` (functions, classes,
 * values), sets `out->abi_version = GENE_EXT_ABI_VERSION` and returns 0.
 * A non-zero return, or an ABI version other than the runtime's, makes the
 * import fail with an ImportError. The GeneHostApi table stays valid for the
 * life of the process: an extension may keep the pointer.
 *
 * Values cross as their 64-bit bits (GeneValue). A value held only in C
 * memory (a global, a malloc'd struct) must be registered as a root while it
 * is needed; values in C locals during a native call are safe (the
 * collector only runs at safepoints of Gene code). The runtime is
 * single-threaded: call the host API only from the thread that called you.
 */
#ifndef GENE_EXT_H
#define GENE_EXT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GENE_EXT_ABI_VERSION 1

/* A Gene value, as its NaN-boxed bits. */
typedef uint64_t GeneValue;

/* The running VM: passed to natives, opaque. */
typedef struct GeneCtx GeneCtx;

/* What a native returns: a value, or (is_error != 0) a thrown value. */
typedef struct GeneResult {
    GeneValue value;
    uint32_t is_error;
} GeneResult;

/*
 * A native function or method. `self` is the receiver of a method call (nil
 * for a plain call); argv[0..argc) are the positional arguments; `named` is
 * a map of the named arguments, or nil when there are none.
 */
typedef GeneResult (*GeneNativeFn)(GeneCtx *ctx, GeneValue self,
                                   const GeneValue *argv, size_t argc,
                                   GeneValue named);

/* Called with the data of a host object once it is unreachable. */
typedef void (*GeneFinalizer)(void *data);

/* What `type_of` answers. */
typedef enum GeneType {
    GENE_NIL = 0,
    GENE_BOOL = 1,
    GENE_INT = 2,
    GENE_FLOAT = 3,
    GENE_STRING = 4,
    GENE_SYMBOL = 5,
    GENE_ARRAY = 6,
    GENE_MAP = 7,
    GENE_CUSTOM = 8,
    GENE_OTHER = 9
} GeneType;

typedef struct GeneHostApi {
    /* GENE_EXT_ABI_VERSION of the runtime, and sizeof(GeneHostApi). */
    uint32_t abi_version;
    uint32_t size;
    /* The VM, for the calls below that take a ctx during init. */
    GeneCtx *ctx;

    /* Making values. Strings are copied (len bytes of UTF-8). */
    GeneValue (*nil)(void);
    GeneValue (*boolean)(int32_t b);
    GeneValue (*int64)(int64_t i);
    GeneValue (*float64)(double f);
    GeneValue (*string)(const char *bytes, size_t len);
    GeneValue (*symbol)(const char *name); /* interns the name */
    GeneValue (*array_new)(void);
    void (*array_push)(GeneValue array, GeneValue item);

    /* Inspecting values. */
    int32_t (*type_of)(GeneValue v);
    int32_t (*truthy)(GeneValue v);
    /* 1 and *out set when v is an int (resp. a number, ints converted). */
    int32_t (*get_int)(GeneValue v, int64_t *out);
    int32_t (*get_float)(GeneValue v, double *out);
    /* The UTF-8 bytes of a string or symbol name (not NUL-terminated;
       valid while v is reachable), or NULL. */
    const char *(*get_string)(GeneValue v, size_t *len);
    int64_t (*array_len)(GeneValue array); /* -1 when not an array */
    GeneValue (*array_get)(GeneValue array, int64_t i); /* nil out of range */
    GeneValue (*map_get)(GeneValue map, const char *key); /* nil if absent */

    /* Defining things. `ns` may be a namespace or a class (its static
       members). A class made with parent nil inherits Object. A method named
       "ctor" is the constructor used by `(new Class ...)`: returning a value
       other than nil (e.g. a host object) makes it the result. */
    GeneValue (*new_function)(const char *name, GeneNativeFn fn);
    GeneValue (*new_namespace)(const char *name);
    GeneValue (*new_class)(GeneCtx *ctx, const char *name, GeneValue parent);
    void (*define)(GeneCtx *ctx, GeneValue ns, const char *name, GeneValue v);
    void (*def_function)(GeneCtx *ctx, GeneValue ns, const char *name,
                         GeneNativeFn fn);
    void (*def_method)(GeneCtx *ctx, GeneValue cls, const char *name,
                       GeneNativeFn fn);

    /* Errors: a GeneResult throwing a new instance of the built-in error
       class `class_name` ("ArgumentError", "TypeError", ...; "Exception" or
       an unknown name gives Exception) with `message`. */
    GeneResult (*raise)(GeneCtx *ctx, const char *class_name,
                        const char *message);

    /* Output through the VM's (buffered) stdout, in order with `println`. */
    void (*write_out)(GeneCtx *ctx, const char *bytes, size_t len);

    /* The collector (runtime/core gc::hooks). */
    GeneValue (*new_custom)(void *data, GeneFinalizer finalizer, GeneValue cls);
    void *(*custom_data)(GeneValue v); /* NULL unless a host object */
    uint64_t (*register_root)(GeneValue v);
    void (*unregister_root)(uint64_t id);
    void (*request_collection)(void);
    void (*write_barrier)(GeneValue holder, GeneValue v);
} GeneHostApi;

typedef struct GeneExtension {
    /* Set by the extension to the GENE_EXT_ABI_VERSION it was built with. */
    uint32_t abi_version;
    uint32_t reserved;
    /* The namespace whose members are importable (preset by the host). */
    GeneValue ns;
} GeneExtension;

static inline GeneResult gene_ok(GeneValue v) {
    GeneResult r = {v, 0};
    return r;
}

static inline GeneResult gene_throw(GeneValue v) {
    GeneResult r = {v, 1};
    return r;
}

#if defined(_WIN32)
#define GENE_EXPORT __declspec(dllexport)
#else
#define GENE_EXPORT __attribute__((visibility("default")))
#endif

/* The entry point every extension defines. */
GENE_EXPORT int32_t gene_extension_init(const GeneHostApi *host,
                                        GeneExtension *out);

#ifdef __cplusplus
}
#endif

#endif /* GENE_EXT_H */
