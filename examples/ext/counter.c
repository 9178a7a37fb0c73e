/*
 * An example Gene extension (see gene_ext.h and README.md).
 *
 * Build:  cc -shared -fPIC -I examples/ext -o libcounter.so examples/ext/counter.c
 * Use:    (import add_ints Counter from "libcounter" ^^native)
 *   or:   genex/counter/add_ints, with libcounter.so on GENE_EXTENSION_PATH
 *
 * Members:
 *   (add_ints a b)       the sum of two ints
 *   (fail msg)           throws an ArgumentError with message msg
 *   (describe x :label)  "<label>: <type of x>"
 *   (range_array n)      [0 1 ... n-1]
 *   Counter              a class of host objects: (new Counter start),
 *                        (c .inc), (c .inc 5), (c .value)
 *   (finalized)          how many Counters the collector has finalized
 */
#include "gene_ext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const GeneHostApi *host;
static GeneValue counter_class;
static int64_t finalized_count;

static GeneResult add_ints(GeneCtx *ctx, GeneValue self, const GeneValue *argv,
                           size_t argc, GeneValue named) {
    (void)self;
    (void)named;
    int64_t a, b;
    if (argc != 2 || !host->get_int(argv[0], &a) || !host->get_int(argv[1], &b))
        return host->raise(ctx, "ArgumentError", "add_ints takes two ints");
    return gene_ok(host->int64(a + b));
}

static GeneResult fail(GeneCtx *ctx, GeneValue self, const GeneValue *argv,
                       size_t argc, GeneValue named) {
    (void)self;
    (void)named;
    size_t len = 0;
    const char *text = argc > 0 ? host->get_string(argv[0], &len) : NULL;
    char message[256];
    snprintf(message, sizeof message, "fail: %.*s", (int)len,
             text ? text : "");
    return host->raise(ctx, "ArgumentError", message);
}

static const char *type_names[] = {"nil",    "bool",  "int", "float",
                                   "string", "symbol", "array", "map",
                                   "custom", "other"};

static GeneResult describe(GeneCtx *ctx, GeneValue self, const GeneValue *argv,
                           size_t argc, GeneValue named) {
    (void)ctx;
    (void)self;
    size_t len = 0;
    const char *label = host->get_string(host->map_get(named, "label"), &len);
    if (!label) {
        label = "value";
        len = 5;
    }
    int32_t type = argc > 0 ? host->type_of(argv[0]) : GENE_NIL;
    char text[128];
    int n = snprintf(text, sizeof text, "%.*s: %s", (int)len, label,
                     type_names[type]);
    return gene_ok(host->string(text, (size_t)n));
}

static GeneResult range_array(GeneCtx *ctx, GeneValue self,
                              const GeneValue *argv, size_t argc,
                              GeneValue named) {
    (void)self;
    (void)named;
    int64_t n;
    if (argc != 1 || !host->get_int(argv[0], &n))
        return host->raise(ctx, "ArgumentError", "range_array takes an int");
    GeneValue array = host->array_new();
    for (int64_t i = 0; i < n; i++)
        host->array_push(array, host->int64(i));
    return gene_ok(array);
}

/* Counter: a host object owning malloc'd memory, freed by its finalizer. */
typedef struct Counter {
    int64_t value;
} Counter;

static void counter_finalize(void *data) {
    free(data);
    finalized_count++;
}

static GeneResult counter_ctor(GeneCtx *ctx, GeneValue self,
                               const GeneValue *argv, size_t argc,
                               GeneValue named) {
    (void)self;
    (void)named;
    int64_t start = 0;
    if (argc > 0 && !host->get_int(argv[0], &start))
        return host->raise(ctx, "ArgumentError", "Counter: start must be an int");
    Counter *c = malloc(sizeof *c);
    if (!c)
        return host->raise(ctx, "Exception", "Counter: out of memory");
    c->value = start;
    return gene_ok(host->new_custom(c, counter_finalize, counter_class));
}

static Counter *counter_of(GeneValue v) {
    return (Counter *)host->custom_data(v);
}

static GeneResult counter_inc(GeneCtx *ctx, GeneValue self,
                              const GeneValue *argv, size_t argc,
                              GeneValue named) {
    (void)named;
    Counter *c = counter_of(self);
    if (!c)
        return host->raise(ctx, "TypeError", "inc needs a Counter");
    int64_t by = 1;
    if (argc > 0 && !host->get_int(argv[0], &by))
        return host->raise(ctx, "ArgumentError", "inc: step must be an int");
    c->value += by;
    return gene_ok(self);
}

static GeneResult counter_value(GeneCtx *ctx, GeneValue self,
                                const GeneValue *argv, size_t argc,
                                GeneValue named) {
    (void)argv;
    (void)argc;
    (void)named;
    Counter *c = counter_of(self);
    if (!c)
        return host->raise(ctx, "TypeError", "value needs a Counter");
    return gene_ok(host->int64(c->value));
}

static GeneResult finalized(GeneCtx *ctx, GeneValue self, const GeneValue *argv,
                            size_t argc, GeneValue named) {
    (void)ctx;
    (void)self;
    (void)argv;
    (void)argc;
    (void)named;
    return gene_ok(host->int64(finalized_count));
}

int32_t gene_extension_init(const GeneHostApi *api, GeneExtension *out) {
    if (api->abi_version != GENE_EXT_ABI_VERSION ||
        api->size < sizeof(GeneHostApi))
        return 1;
    host = api;
    GeneCtx *ctx = api->ctx;
    api->def_function(ctx, out->ns, "add_ints", add_ints);
    api->def_function(ctx, out->ns, "fail", fail);
    api->def_function(ctx, out->ns, "describe", describe);
    api->def_function(ctx, out->ns, "range_array", range_array);
    api->def_function(ctx, out->ns, "finalized", finalized);
    counter_class = api->new_class(ctx, "Counter", api->nil());
    /* Kept in a C global: a root keeps it alive (it is also a member of
       the namespace, but the extension should not rely on that). */
    api->register_root(counter_class);
    api->def_method(ctx, counter_class, "ctor", counter_ctor);
    api->def_method(ctx, counter_class, "inc", counter_inc);
    api->def_method(ctx, counter_class, "value", counter_value);
    api->define(ctx, out->ns, "Counter", counter_class);
    out->abi_version = GENE_EXT_ABI_VERSION;
    return 0;
}
