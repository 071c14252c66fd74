/* speedups.h: what the C files of squall.engine._speedups share (module.c lists the files).
 *
 * The includes; RECORD_WIDTH; the interned attribute names (defined and made in
 * module.c); the 64-bit int helpers, the attribute and slot helpers, the msgpack reader
 * and the RNG as static inline functions (they run per tuple: each file gets its own
 * inlinable copy, as when they were static in one file); BoltEmit, the object of both
 * task emits; and the functions one file defines for another, named sq_*. Everything
 * else in a file is static. Every extern here is hidden: the module exports only
 * PyInit__speedups, as when the whole extension was one file.
 */
#ifndef SQUALL_SPEEDUPS_H
#define SQUALL_SPEEDUPS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <pythread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

#define RECORD_WIDTH 4 /* slots per DATA record: _hotpath.RECORD_WIDTH */

/* ---- module state, made once by PyInit__speedups (module.c) ------------------------ */

extern PyObject *sq_missing; /* a default no dict holds */

/* Interned attribute and method names, by where they are read. */
extern PyObject *s_hot, *s_inputs, *s_records, *s_heat, *s_slow, *s_new_port, *s_seal, *s_wake,
    *s_main_thread, *s_lock, *s_acquire, *s_release; /* BoltEmit (Collector, OutPort) */
extern PyObject *s_default_size, *s_anchor_thread, *s_anchors; /* AutoEmit, SpoutAutoEmit, dispatch_batch */
extern PyObject *s_emit_calls, *s_tup_id, *s_blocked; /* SpoutEmit, SpoutAutoEmit, spout_burst */
extern PyObject *s_pending, *s_latency, *s_buckets, *s_count, *s_total, *s_acked, *s_ack; /* spout_acks */
extern PyObject *s_process, *s_host, *s_fail, *s_ack_many, *s_auto_anchor, *s_auto_fail, *s_auto_ack,
    *s_open, *s_current, *s_on_tuple, *s_end_held, *s_after, *s_stream, *s_component, *s_id, *s_add,
    *s_tick_stream, *s_tick_component; /* dispatch_batch (and s_ack) */

/* ---- 64-bit helpers: edges, roots and XOR values are all in [0, 2**64) ---------- */

/* The magnitude of an exact int that fits 64 bits, read from CPython 3.11's digits without
 * the generic conversion (roots, edges and XOR values are 64-bit: half of them are above
 * int64's range, where PyLong_AsLongLong overflows and the API takes its slow path).
 * Return 1 and set *mag and *negative, or 0: not an exact int of that size (use the API). */
static inline int sq_small_long(PyObject *o, uint64_t *mag, int *negative) {
#if PY_VERSION_HEX < 0x030C0000 && PyLong_SHIFT == 30
    if (!PyLong_CheckExact(o)) return 0;
    Py_ssize_t size = Py_SIZE(o);
    Py_ssize_t n = size < 0 ? -size : size;
    const digit *d = ((PyLongObject *)o)->ob_digit;
    switch (n) {
    case 0: *mag = 0; break;
    case 1: *mag = d[0]; break;
    case 2: *mag = (uint64_t)d[0] | (uint64_t)d[1] << 30; break;
    case 3:
        if (d[2] >> 4) return 0; /* 64 bits = 30 + 30 + 4 */
        *mag = (uint64_t)d[0] | (uint64_t)d[1] << 30 | (uint64_t)d[2] << 60;
        break;
    default: return 0;
    }
    *negative = size < 0;
    return 1;
#else /* another layout: the API, a little slower */
    if (!PyLong_CheckExact(o)) return 0;
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (!overflow) {
        *negative = v < 0;
        *mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        return 1;
    }
    if (overflow < 0) return 0;
    unsigned long long u = PyLong_AsUnsignedLongLong(o);
    if (u == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        return 0;
    }
    *mag = u;
    *negative = 0;
    return 1;
#endif
}

/* *out = o, an int in [0, 2**64): 0, or -1 with TypeError or OverflowError set */
static inline int sq_as_u64(PyObject *o, uint64_t *out) {
    int negative;
    if (sq_small_long(o, out, &negative) && !negative) return 0;
    if (!PyLong_Check(o)) {
        PyErr_SetString(PyExc_TypeError, "expected an int");
        return -1;
    }
    unsigned long long v = PyLong_AsUnsignedLongLong(o);
    if (v == (unsigned long long)-1 && PyErr_Occurred()) return -1;
    *out = (uint64_t)v;
    return 0;
}

/* ---- attribute reads on the hot path ----------------------------------------------- */

/* getattr(obj, name) (new ref), read straight from obj's instance dict when it is there,
 * else the generic lookup (a class default, or the AttributeError). Only for the plain
 * instance attributes of Collector the emit reads per tuple (_hot, inputs): no data
 * descriptor on the class shadows them, so both reads agree. */
static inline PyObject *sq_fast_attr(PyObject *obj, PyObject *name) {
    PyObject **dictptr = _PyObject_GetDictPtr(obj);
    if (dictptr != NULL && *dictptr != NULL) {
        PyObject *value = PyDict_GetItemWithError(*dictptr, name); /* borrowed */
        if (value != NULL) return Py_NewRef(value);
        if (PyErr_Occurred()) return NULL;
    }
    return PyObject_GetAttr(obj, name);
}

/* Slots the hot path reads and writes per tuple (Bolt's per-input state, OutPort.records)
 * are accessed in place when that is what getattr/setattr would do (the class has the
 * generic __getattribute__ and __setattr__, and the name is still that slot: callers
 * check again when the object's type changes), as PyMember_GetOne/SetOne do; otherwise
 * through getattr/setattr. sq_slot_offset returns 0 for "use getattr/setattr". */
static inline Py_ssize_t sq_slot_offset(PyObject *obj, PyObject *name) {
    PyTypeObject *type = Py_TYPE(obj);
    if (type->tp_getattro != PyObject_GenericGetAttr || type->tp_setattro != PyObject_GenericSetAttr) return 0;
    PyObject *descr = _PyType_Lookup(type, name); /* borrowed */
    if (descr == NULL || Py_TYPE(descr) != &PyMemberDescr_Type) return 0;
    PyMemberDef *member = ((PyMemberDescrObject *)descr)->d_member;
    if (member->type != T_OBJECT_EX || member->flags != 0 || !PyObject_TypeCheck(obj, PyDescr_TYPE(descr))) return 0;
    return member->offset;
}

/* obj.<name> = value */
static inline int sq_set_state(PyObject *obj, Py_ssize_t offset, PyObject *name, PyObject *value) {
    if (offset == 0) return PyObject_SetAttr(obj, name, value);
    PyObject **slot = (PyObject **)((char *)obj + offset);
    Py_XSETREF(*slot, Py_NewRef(value));
    return 0;
}

/* obj.<name>, a new reference */
static inline PyObject *sq_get_state(PyObject *obj, Py_ssize_t offset, PyObject *name) {
    PyObject *value = offset == 0 ? NULL : *(PyObject **)((char *)obj + offset);
    return value != NULL ? Py_NewRef(value) : PyObject_GetAttr(obj, name); /* an empty slot: its AttributeError */
}

/* ---- the msgpack reader of decode_batch (codec.c) and fold_acks_message (spout_acks.c) ---- */

/* A cursor over a message's bytes; unsupported: the bytes are not what the C path
 * decodes (the general path, msgpack, decodes them). */
typedef struct {
    const unsigned char *p, *end;
    int unsupported;
    PyObject *last_root; /* the previous record's root (strong ref) and its bits: its siblings share the object */
    uint64_t last_root_bits;
} In;

/* 0 when n more bytes are there, else -1 (in->unsupported set) */
static inline int sq_need(In *in, Py_ssize_t n) {
    if (in->end - in->p < n) {
        in->unsupported = 1;
        return -1;
    }
    return 0;
}

/* the next bytes (1 to 8) as a big-endian unsigned int; the caller checked sq_need */
static inline uint64_t sq_take_be(In *in, int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v = (v << 8) | in->p[i];
    in->p += bytes;
    return v;
}

/* an array header: its length, or -1 (in->unsupported set) */
Py_ssize_t sq_array_header(In *in);

/* ---- BoltEmit: the bolt task's emit (bolt_emit.c), also SpoutEmit's object (spout_emit.c) ---- */

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *collector, *hot_outs, *port_list, *fallback;
    PyObject *acquire, *release, *heat, *slow, *new_port, *seal, *wake;
    unsigned long main_thread;
    Py_ssize_t limit;
    uint64_t rng[4]; /* xoshiro256**: edges need 64 random bits, not a crypto RNG */
    PyObject *last_stream, *last_out; /* one-entry cache of hot_outs.get(stream) */
    PyObject *pending; /* SpoutEmit: the tracker's root -> [xor, msg id, start] */
    PyObject *port_type; /* OutPort, once seen, and where its records slot is (__slots__) */
    Py_ssize_t records_offset;
    uint64_t task_id;  /* SpoutEmit: the low bits of every root it mints */
    Py_ssize_t calls;  /* SpoutEmit: how much collector.emit_calls grew through it (spout_burst reads it) */
    Py_ssize_t hot_calls; /* SpoutEmit: the calls it ran in C (Collector.emit_calls adds them) */
} BoltEmit;

/* ---- the RNG of edges and roots: xoshiro256** ------------------------------------------- */

/* x rotated left by k bits */
static inline uint64_t sq_rotl(const uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* the next 64 random bits of the state s[4] (BoltEmit.rng), advancing it */
static inline uint64_t sq_next_u64(uint64_t *s) {
    const uint64_t result = sq_rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = sq_rotl(s[3], 45);
    return result;
}

/* bolt_emit.c: the parts of BoltEmit that SpoutEmit runs too */
PyObject *sq_port_for(BoltEmit *self, PyObject *task); /* port_list[task] or collector._new_port(task) (new ref) */
PyObject *sq_port_records(BoltEmit *self, PyObject *port); /* port.records (new ref) */
PyObject *sq_choose_task(PyObject *out, PyObject *values); /* the receiving task of a hot stream (new ref) */
PyObject *sq_hot_out(BoltEmit *self, PyObject *stream); /* hot_outs.get(stream), cached: borrowed or NULL */
int sq_only_thread(void); /* whether this is the interpreter's only thread (then no lock is needed) */
int sq_BoltEmit_init(BoltEmit *self, PyObject *args, PyObject *kwds); /* BoltEmit(collector, ..., fallback) */
int sq_BoltEmit_traverse(BoltEmit *self, visitproc visit, void *arg); /* the GC's visit of a BoltEmit */
int sq_BoltEmit_clear(BoltEmit *self); /* the GC's clear of a BoltEmit */
void sq_BoltEmit_dealloc(BoltEmit *self); /* free a BoltEmit or SpoutEmit */

/* spout_acks.c, for every file: the raised exception, normalized, its traceback attached (new ref); clears it */
PyObject *sq_fetch_exception(void);

/* ---- AutoEmit and SpoutAutoEmit: a component's emit(...) common call without a frame ---- */

/* Both types share this layout and life cycle (bolt_emit.c); only their calls differ. */
typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *component, *host_emit, *fallback, *stream, *empty;
    Py_ssize_t size; /* component._squall_default_size once read as an int (set by _squall_prepare), else -1 */
    PyObject *component_type; /* AutoEmit: the type the offsets below were found in */
    Py_ssize_t thread_at, anchors_at; /* AutoEmit: Bolt's slots _squall_anchor_thread, _squall_anchors (0: getattr) */
} AutoEmit;

/* __init__(component, host_emit, fallback, stream) of either type; call: its vectorcall */
int sq_auto_emit_setup(AutoEmit *self, PyObject *args, PyObject *kwds, vectorcallfunc call);
int sq_auto_emit_fits(AutoEmit *self, PyObject *values); /* an exact list of the default stream's size: 1, else 0; -1 on error */
PyObject *sq_auto_emit_new(PyTypeObject *type, PyObject *args, PyObject *kwds); /* unusable until __init__ */
int sq_auto_emit_traverse(AutoEmit *self, visitproc visit, void *arg);
int sq_auto_emit_clear(AutoEmit *self);
void sq_auto_emit_dealloc(AutoEmit *self);

/* ---- what module.c registers: the types and the module's functions, by file ------------ */

extern PyTypeObject sq_BoltEmitType, sq_AutoEmitType; /* bolt_emit.c */
extern PyTypeObject sq_SpoutEmitType, sq_SpoutAutoEmitType; /* spout_emit.c */
PyObject *sq_xor_acks(PyObject *module, PyObject *const *args, Py_ssize_t nargs); /* acks.c */
PyObject *sq_uniform_tuples(PyObject *module, PyObject *const *args, Py_ssize_t nargs); /* codec.c */
PyObject *sq_pack_batch(PyObject *module, PyObject *const *args, Py_ssize_t nargs); /* codec.c */
PyObject *sq_decode_batch(PyObject *module, PyObject *const *args, Py_ssize_t nargs); /* codec.c */
PyObject *sq_spout_acks(PyObject *module, PyObject *const *args, Py_ssize_t nargs); /* spout_acks.c */
PyObject *sq_fold_acks_message(PyObject *module, PyObject *const *args, Py_ssize_t nargs); /* spout_acks.c */
PyObject *sq_spout_burst(PyObject *module, PyObject *const *args, Py_ssize_t nargs); /* spout_emit.c */
PyObject *sq_dispatch_batch(PyObject *module, PyObject *const *args, Py_ssize_t nargs); /* dispatch.c */

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif /* SQUALL_SPEEDUPS_H */
