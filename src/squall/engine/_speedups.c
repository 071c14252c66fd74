/* squall.engine._speedups: the embedded engine's per-tuple hot path in C.
 *
 * Optional: every function here has a pure-Python twin in squall/engine/_hotpath.py
 * with the same contract, used when this module is not built or when
 * SQUALL_PURE_PYTHON=1 (squall/engine/_fast.py chooses). No semantics live only here.
 *
 *   BoltEmit(collector, hot_outs, port_list, limit, seed, fallback)
 *       the bolt task's emit(stream, values, anchors, tup_id, direct_task, need_task_ids)
 *       and its .many(stream, tuples, size, anchors, direct_task) -> how many were emitted
 *   AutoEmit(component, host_emit, fallback, stream)
 *       a bolt's emit(values) (Bolt.emit's common call), every other call to fallback
 *   SpoutEmit(collector, hot_outs, port_list, limit, seed, fallback, pending, task_id)
 *       the spout task's emit, same arguments
 *   SpoutAutoEmit(component, host_emit, fallback, stream)
 *       a spout's emit(values) / emit(values, tup_id=x) (Spout.emit's common call), every other call to fallback
 *   spout_acks(tracker, collector, spout, acks, start, now) -> (next index, exception) or None
 *       a spout task's ACKS message folded into its pending trees (TaskHost._process_acks)
 *   fold_acks_message(data, tracker, collector, spout, now) -> True, (next index, exception) or None
 *       spout_acks on the bytes of a plain ACKS message (no fails), without decoding it to Python objects
 *   spout_burst(target, method, collector, emit, pending, count, limit) -> (calls left, exception, emitted) or None
 *       the next_tuple loop of TaskHost._spout_burst
 *   xor_acks(inputs, acks, ids) -> first unknown id or None
 *   uniform_tuples(inputs, first, records, component, stream, src, values_class, size, tuple_class)
 *       -> list of Tuple, or None when the batch is not uniform
 *   pack_batch(kind, src, records) -> msgpack bytes, or None when msgpack's packer must do it
 *   decode_batch(data, tables, inputs, first, tuple_class) -> (src, list of Tuple), or None
 *   dispatch_batch(bolt, tuples, on_error, settled, tuple_class) -> None: Bolt._squall_on_tuples's fused loop
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <pythread.h>
#include <structmember.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define RECORD_WIDTH 4

static PyObject *missing; /* a default no dict holds */
static PyObject *s_hot, *s_inputs, *s_records, *s_heat, *s_slow, *s_new_port, *s_seal, *s_wake,
    *s_main_thread, *s_lock, *s_acquire, *s_release;

/* ---- 64-bit helpers: edges, roots and XOR values are all in [0, 2**64) ---------- */

/* The magnitude of an exact int that fits 64 bits, read from CPython 3.11's digits without
 * the generic conversion (roots, edges and XOR values are 64-bit: half of them are above
 * int64's range, where PyLong_AsLongLong overflows and the API takes its slow path).
 * Return 1 and set *mag and *negative, or 0: not an exact int of that size (use the API). */
static inline int small_long(PyObject *o, uint64_t *mag, int *negative) {
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

static int as_u64(PyObject *o, uint64_t *out) {
    int negative;
    if (small_long(o, out, &negative) && !negative) return 0;
    if (!PyLong_Check(o)) {
        PyErr_SetString(PyExc_TypeError, "expected an int");
        return -1;
    }
    unsigned long long v = PyLong_AsUnsignedLongLong(o);
    if (v == (unsigned long long)-1 && PyErr_Occurred()) return -1;
    *out = (uint64_t)v;
    return 0;
}

/* dict[key] = dict.get(key, 0) ^ value */
static int xor_into(PyObject *dict, PyObject *key, uint64_t value) {
    PyObject *old = PyDict_GetItemWithError(dict, key); /* borrowed */
    uint64_t acc = 0;
    if (old == NULL) {
        if (PyErr_Occurred()) return -1;
    } else if (as_u64(old, &acc) < 0) {
        return -1;
    }
    PyObject *now = PyLong_FromUnsignedLongLong(acc ^ value);
    if (now == NULL) return -1;
    int rc = PyDict_SetItem(dict, key, now);
    Py_DECREF(now);
    return rc;
}

/* ---- attribute reads on the hot path ----------------------------------------------- */

/* getattr(obj, name) (new ref), read straight from obj's instance dict when it is there,
 * else the generic lookup (a class default, or the AttributeError). Only for the plain
 * instance attributes of Collector the emit reads per tuple (_hot, inputs): no data
 * descriptor on the class shadows them, so both reads agree. */
static PyObject *fast_attr(PyObject *obj, PyObject *name) {
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
 * through getattr/setattr. slot_offset returns 0 for "use getattr/setattr". */
static Py_ssize_t slot_offset(PyObject *obj, PyObject *name) {
    PyTypeObject *type = Py_TYPE(obj);
    if (type->tp_getattro != PyObject_GenericGetAttr || type->tp_setattro != PyObject_GenericSetAttr) return 0;
    PyObject *descr = _PyType_Lookup(type, name); /* borrowed */
    if (descr == NULL || Py_TYPE(descr) != &PyMemberDescr_Type) return 0;
    PyMemberDef *member = ((PyMemberDescrObject *)descr)->d_member;
    if (member->type != T_OBJECT_EX || member->flags != 0 || !PyObject_TypeCheck(obj, PyDescr_TYPE(descr))) return 0;
    return member->offset;
}

/* obj.<name> = value */
static int set_state(PyObject *obj, Py_ssize_t offset, PyObject *name, PyObject *value) {
    if (offset == 0) return PyObject_SetAttr(obj, name, value);
    PyObject **slot = (PyObject **)((char *)obj + offset);
    Py_XSETREF(*slot, Py_NewRef(value));
    return 0;
}

/* obj.<name>, a new reference */
static PyObject *get_state(PyObject *obj, Py_ssize_t offset, PyObject *name) {
    PyObject *value = offset == 0 ? NULL : *(PyObject **)((char *)obj + offset);
    return value != NULL ? Py_NewRef(value) : PyObject_GetAttr(obj, name); /* an empty slot: its AttributeError */
}

/* ---- xor_acks: the loop of Collector.ack_many ----------------------------------- */

/* A batch's acks share few roots (a line's words come in together), so xor_acks first
 * XORs them per root in this small table, then updates acks once per root, in the order
 * the roots were first seen: the same acks as one update per input. A root that is not
 * an int of 64 bits (never made by the engine) updates acks at once. */
typedef struct {
    PyObject *root; /* NULL: an empty slot */
    uint64_t key, acc;
} Fold;

typedef struct {
    Fold *slots;
    Py_ssize_t *order; /* the used slots, in first-seen order */
    Py_ssize_t used;
    int bits; /* 2**bits slots */
} Folds;

static int folds_alloc(Folds *f, int bits) {
    f->slots = PyMem_Calloc((size_t)1 << bits, sizeof(Fold));
    f->order = PyMem_Malloc(sizeof(Py_ssize_t) << (bits - 1)); /* at most half the slots are used */
    f->bits = bits;
    f->used = 0;
    if (f->slots == NULL || f->order == NULL) {
        PyMem_Free(f->slots);
        PyMem_Free(f->order);
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static Py_ssize_t folds_find(Folds *f, uint64_t key) {
    size_t mask = ((size_t)1 << f->bits) - 1;
    size_t i = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> (64 - f->bits)); /* the random high bits count: the low 16 are the task */
    while (f->slots[i].root != NULL && f->slots[i].key != key) i = (i + 1) & mask;
    return (Py_ssize_t)i;
}

static int folds_grow(Folds *f) {
    Folds bigger;
    if (folds_alloc(&bigger, f->bits + 1) < 0) return -1;
    for (Py_ssize_t k = 0; k < f->used; k++) {
        Fold *old = &f->slots[f->order[k]];
        Py_ssize_t i = folds_find(&bigger, old->key);
        bigger.slots[i] = *old;
        bigger.order[bigger.used++] = i;
    }
    PyMem_Free(f->slots);
    PyMem_Free(f->order);
    *f = bigger;
    return 0;
}

/* acks[root] ^= value, gathered in f */
static int folds_add(Folds *f, PyObject *acks, PyObject *root, uint64_t value) {
    uint64_t key;
    int negative;
    if (!small_long(root, &key, &negative) || negative) return xor_into(acks, root, value);
    Py_ssize_t i = folds_find(f, key);
    if (f->slots[i].root != NULL) {
        f->slots[i].acc ^= value;
        return 0;
    }
    if (f->used >= ((Py_ssize_t)1 << (f->bits - 1))) {
        if (folds_grow(f) < 0) return -1;
        i = folds_find(f, key);
    }
    f->slots[i] = (Fold){Py_NewRef(root), key, value};
    f->order[f->used++] = i;
    return 0;
}

/* fold the table into acks and free it; keeps a pending exception pending */
static int folds_flush(Folds *f, PyObject *acks) {
    int rc = 0;
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    for (Py_ssize_t k = 0; k < f->used; k++) {
        Fold *one = &f->slots[f->order[k]];
        if (rc == 0 && xor_into(acks, one->root, one->acc) < 0) rc = -1;
        Py_DECREF(one->root);
    }
    PyMem_Free(f->slots);
    PyMem_Free(f->order);
    if (type != NULL) {
        if (rc < 0) PyErr_Clear();
        PyErr_Restore(type, value, tb); /* the first error wins */
        return -1;
    }
    return rc;
}

/* Fold one input entry (roots, value) into acks: see Collector's docstring. */
static int fold_entry(Folds *f, PyObject *acks, PyObject *entry) {
    if (!(PyTuple_Check(entry) || PyList_Check(entry)) || PySequence_Fast_GET_SIZE(entry) != 2) {
        PyErr_SetString(PyExc_TypeError, "malformed input entry");
        return -1;
    }
    PyObject *roots = PySequence_Fast_GET_ITEM(entry, 0);
    uint64_t value;
    if (as_u64(PySequence_Fast_GET_ITEM(entry, 1), &value) < 0) return -1;
    if (PyLong_CheckExact(roots)) return folds_add(f, acks, roots, value);
    if (!PyList_Check(roots)) {
        PyErr_SetString(PyExc_TypeError, "malformed input entry roots");
        return -1;
    }
    for (Py_ssize_t i = 0; i + 1 < PyList_GET_SIZE(roots); i += 2) {
        uint64_t edge;
        if (as_u64(PyList_GET_ITEM(roots, i + 1), &edge) < 0) return -1;
        if (folds_add(f, acks, PyList_GET_ITEM(roots, i), edge ^ value) < 0) return -1;
    }
    return 0;
}

static PyObject *xor_acks(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3 || !PyDict_Check(args[0]) || !PyDict_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "xor_acks(inputs: dict, acks: dict, ids)");
        return NULL;
    }
    PyObject *inputs = args[0], *acks = args[1];
    PyObject *ids = PySequence_Fast(args[2], "ids must be a sequence");
    if (ids == NULL) return NULL;
    Folds folds;
    if (folds_alloc(&folds, 7) < 0) {
        Py_DECREF(ids);
        return NULL;
    }
    PyObject *unknown = Py_None;
    Py_INCREF(unknown);
    Py_ssize_t n = PySequence_Fast_GET_SIZE(ids);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *id = PySequence_Fast_GET_ITEM(ids, i);
        PyObject *entry = NULL;
        if (PyLong_CheckExact(id)) {
            entry = _PyDict_Pop(inputs, id, missing); /* inputs.pop(id, missing): one lookup */
            if (entry == NULL) goto error;
            if (entry == missing) Py_CLEAR(entry);
        }
        if (entry == NULL) {
            /* None and negative handles (untracked inputs) are fine; remember the first other one */
            int overflow = 0, negative = 0;
            if (PyLong_CheckExact(id)) {
                long long v = PyLong_AsLongLongAndOverflow(id, &overflow);
                if (v == -1 && PyErr_Occurred()) goto error;
                negative = overflow < 0 || (overflow == 0 && v < 0);
            }
            if (id != Py_None && !negative && unknown == Py_None) {
                Py_INCREF(id);
                Py_SETREF(unknown, id);
            }
            continue;
        }
        int rc = fold_entry(&folds, acks, entry);
        Py_DECREF(entry);
        if (rc < 0) goto error;
    }
    Py_DECREF(ids);
    if (folds_flush(&folds, acks) < 0) Py_CLEAR(unknown);
    return unknown;
error:
    folds_flush(&folds, acks); /* what was folded before the error is in acks, as with one update per input */
    Py_DECREF(ids);
    Py_DECREF(unknown);
    return NULL;
}

/* ---- uniform_tuples: the common batch's Tuple objects ------------------------------ */

/* cls(*items) for a tuple subclass without __new__ overhead (what tuple.__new__ does). */
static PyObject *new_subtuple(PyTypeObject *cls, PyObject *const *items, Py_ssize_t n) {
    PyObject *obj = cls->tp_alloc(cls, n);
    if (obj == NULL) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_INCREF(items[i]);
        PyTuple_SET_ITEM(obj, i, items[i]);
    }
    return obj;
}

static PyObject *uniform_tuples(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 9 || !PyDict_Check(args[0]) || !PyLong_Check(args[1]) || !PyList_Check(args[2])
        || !PyType_Check(args[6]) || !PyLong_Check(args[7]) || !PyType_Check(args[8])) {
        PyErr_SetString(PyExc_TypeError,
            "uniform_tuples(inputs, first, records, component, stream, src, values_class, size, tuple_class)");
        return NULL;
    }
    PyObject *inputs = args[0], *records = args[2];
    PyObject *component = args[3], *stream = args[4], *src = args[5];
    PyTypeObject *values_class = (PyTypeObject *)args[6], *tuple_class = (PyTypeObject *)args[8];
    long long first = PyLong_AsLongLong(args[1]);
    Py_ssize_t size = PyLong_AsSsize_t(args[7]);
    if (PyErr_Occurred()) return NULL;
    if (!PyType_IsSubtype(values_class, &PyTuple_Type) || !PyType_IsSubtype(tuple_class, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "uniform_tuples: classes must be tuple subclasses");
        return NULL;
    }
    Py_ssize_t slots = PyList_GET_SIZE(records);
    Py_ssize_t count = slots / RECORD_WIDTH;
    if (count == 0 || slots % RECORD_WIDTH) Py_RETURN_NONE;
    PyObject *sidx = PyList_GET_ITEM(records, 0);
    int untracked = PyList_GET_ITEM(records, 2) == Py_None;
    for (Py_ssize_t i = 0; i < slots; i += RECORD_WIDTH) { /* one stream, all tracked or none, values that fit */
        PyObject *s = PyList_GET_ITEM(records, i), *values = PyList_GET_ITEM(records, i + 1);
        if (s != sidx) {
            int eq = PyObject_RichCompareBool(s, sidx, Py_EQ);
            if (eq < 0) return NULL;
            if (!eq) Py_RETURN_NONE;
        }
        if ((PyList_GET_ITEM(records, i + 2) == Py_None) != untracked || !PyList_Check(values)
            || PyList_GET_SIZE(values) != size)
            Py_RETURN_NONE;
    }
    PyObject *result = PyList_New(count);
    if (result == NULL) return NULL;
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject **rec = &PyList_GET_ITEM(records, k * RECORD_WIDTH);
        PyObject *handle = PyLong_FromLongLong(untracked ? -(first + k) : first + k); /* negative: untracked */
        if (handle == NULL) goto error;
        int rc = 0;
        if (!untracked) {
            PyObject *entry = PyTuple_Pack(2, rec[2], rec[3]);
            rc = entry == NULL ? -1 : PyDict_SetItem(inputs, handle, entry);
            Py_XDECREF(entry);
        }
        PyObject *values = rc < 0 ? NULL
            : new_subtuple(values_class, &PyList_GET_ITEM(rec[1], 0), PyList_GET_SIZE(rec[1]));
        if (values == NULL) {
            Py_DECREF(handle);
            goto error;
        }
        PyObject *fields[5] = {handle, component, stream, src, values};
        PyObject *tup = new_subtuple(tuple_class, fields, 5);
        Py_DECREF(handle);
        Py_DECREF(values);
        if (tup == NULL) goto error;
        PyList_SET_ITEM(result, k, tup);
    }
    return result;
error:
    Py_DECREF(result);
    return NULL;
}


/* ---- pack_batch: msgpack encoding of a batch of plain values ---------------------- */

/* A growing output buffer. Values of other types than the exact plain ones below (or
 * ints beyond 64 bits, strings that are not valid UTF-8, nesting past MAX_DEPTH) make
 * pack_batch return None: msgpack's own packer then encodes the batch, with its
 * default hook and its errors, so the rules of what travels stay in one place. */
typedef struct {
    char *buf;
    Py_ssize_t len, cap;
} Out;

#define MAX_DEPTH 64
#define UNSUPPORTED 1 /* not an error: let msgpack do it */

static int out_reserve(Out *o, Py_ssize_t extra) {
    if (o->len + extra <= o->cap) return 0;
    Py_ssize_t cap = o->cap * 2 > o->len + extra ? o->cap * 2 : o->len + extra + 256;
    char *buf = PyMem_Realloc(o->buf, cap);
    if (buf == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    o->buf = buf;
    o->cap = cap;
    return 0;
}

static inline void put_be(Out *o, uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; i--) o->buf[o->len++] = (char)((v >> (8 * i)) & 0xff);
}

static int put_header(Out *o, Py_ssize_t n, unsigned char fix, int fixbits, unsigned char c8,
                      unsigned char c16, unsigned char c32) {
    if (out_reserve(o, 5) < 0) return -1;
    if (fixbits >= 0 && n < (1 << fixbits)) {
        o->buf[o->len++] = (char)(fix | n);
    } else if (c8 && n < 256) {
        o->buf[o->len++] = (char)c8;
        put_be(o, (uint64_t)n, 1);
    } else if (n < 65536) {
        o->buf[o->len++] = (char)c16;
        put_be(o, (uint64_t)n, 2);
    } else if ((uint64_t)n <= 0xffffffffULL) {
        o->buf[o->len++] = (char)c32;
        put_be(o, (uint64_t)n, 4);
    } else {
        return UNSUPPORTED;
    }
    return 0;
}

static int put_int(Out *o, PyObject *obj) {
    uint64_t mag;
    int negative, overflow = 0;
    if (small_long(obj, &mag, &negative) && !negative && mag > (uint64_t)INT64_MAX) { /* a root or edge */
        if (out_reserve(o, 9) < 0) return -1;
        o->buf[o->len++] = (char)0xcf;
        put_be(o, mag, 8);
        return 0;
    }
    long long v = PyLong_AsLongLongAndOverflow(obj, &overflow);
    if (v == -1 && PyErr_Occurred()) return -1;
    if (out_reserve(o, 9) < 0) return -1;
    if (overflow > 0) { /* beyond int64: uint64 or too big for msgpack */
        unsigned long long u = PyLong_AsUnsignedLongLong(obj);
        if (u == (unsigned long long)-1 && PyErr_Occurred()) {
            PyErr_Clear();
            return UNSUPPORTED;
        }
        o->buf[o->len++] = (char)0xcf;
        put_be(o, u, 8);
    } else if (overflow < 0) {
        return UNSUPPORTED;
    } else if (v >= 0) {
        if (v < 128) o->buf[o->len++] = (char)v;
        else if (v < 256) { o->buf[o->len++] = (char)0xcc; put_be(o, (uint64_t)v, 1); }
        else if (v < 65536) { o->buf[o->len++] = (char)0xcd; put_be(o, (uint64_t)v, 2); }
        else if (v <= 0xffffffffLL) { o->buf[o->len++] = (char)0xce; put_be(o, (uint64_t)v, 4); }
        else { o->buf[o->len++] = (char)0xcf; put_be(o, (uint64_t)v, 8); }
    } else {
        if (v >= -32) o->buf[o->len++] = (char)(0xe0 | (v + 32));
        else if (v >= -128) { o->buf[o->len++] = (char)0xd0; put_be(o, (uint64_t)v, 1); }
        else if (v >= -32768) { o->buf[o->len++] = (char)0xd1; put_be(o, (uint64_t)v, 2); }
        else if (v >= -2147483648LL) { o->buf[o->len++] = (char)0xd2; put_be(o, (uint64_t)v, 4); }
        else { o->buf[o->len++] = (char)0xd3; put_be(o, (uint64_t)v, 8); }
    }
    return 0;
}

static int put_bytes(Out *o, const char *data, Py_ssize_t n, int is_str) {
    int rc = is_str ? put_header(o, n, 0xa0, 5, 0xd9, 0xda, 0xdb) : put_header(o, n, 0, -1, 0xc4, 0xc5, 0xc6);
    if (rc) return rc;
    if (out_reserve(o, n) < 0) return -1;
    memcpy(o->buf + o->len, data, n);
    o->len += n;
    return 0;
}

static int put_value(Out *o, PyObject *obj, int depth);

static int put_items(Out *o, PyObject *const *items, Py_ssize_t n, int depth) {
    int rc = put_header(o, n, 0x90, 4, 0, 0xdc, 0xdd);
    for (Py_ssize_t i = 0; rc == 0 && i < n; i++) rc = put_value(o, items[i], depth + 1);
    return rc;
}

static int put_value(Out *o, PyObject *obj, int depth) {
    PyTypeObject *type = Py_TYPE(obj);
    if (depth > MAX_DEPTH) return UNSUPPORTED;
    if (type == &PyUnicode_Type) {
        Py_ssize_t n;
        const char *data = PyUnicode_AsUTF8AndSize(obj, &n);
        if (data == NULL) { /* lone surrogates: msgpack's rules and errors apply */
            PyErr_Clear();
            return UNSUPPORTED;
        }
        return put_bytes(o, data, n, 1);
    }
    if (type == &PyLong_Type) return put_int(o, obj);
    if (type == &PyList_Type) return put_items(o, &PyList_GET_ITEM(obj, 0), PyList_GET_SIZE(obj), depth);
    if (type == &PyTuple_Type) return put_items(o, &PyTuple_GET_ITEM(obj, 0), PyTuple_GET_SIZE(obj), depth);
    if (out_reserve(o, 9) < 0) return -1;
    if (obj == Py_None) { o->buf[o->len++] = (char)0xc0; return 0; }
    if (obj == Py_False) { o->buf[o->len++] = (char)0xc2; return 0; }
    if (obj == Py_True) { o->buf[o->len++] = (char)0xc3; return 0; }
    if (type == &PyFloat_Type) {
        double d = PyFloat_AS_DOUBLE(obj);
        uint64_t bits;
        memcpy(&bits, &d, 8);
        o->buf[o->len++] = (char)0xcb;
        put_be(o, bits, 8);
        return 0;
    }
    if (type == &PyBytes_Type) return put_bytes(o, PyBytes_AS_STRING(obj), PyBytes_GET_SIZE(obj), 0);
    if (type == &PyDict_Type) {
        Py_ssize_t pos = 0, n = PyDict_GET_SIZE(obj);
        PyObject *key, *value;
        int rc = put_header(o, n, 0x80, 4, 0, 0xde, 0xdf);
        while (rc == 0 && PyDict_Next(obj, &pos, &key, &value)) {
            if (--n < 0) return UNSUPPORTED; /* changed while packing */
            rc = put_value(o, key, depth + 1);
            if (rc == 0) rc = put_value(o, value, depth + 1);
        }
        return rc ? rc : (n ? UNSUPPORTED : 0);
    }
    return UNSUPPORTED;
}

static PyObject *pack_batch(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3 || !PyList_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "pack_batch(kind, src, records: list)");
        return NULL;
    }
    Out o = {NULL, 0, 0};
    Py_ssize_t n = PyList_GET_SIZE(args[2]);
    if (out_reserve(&o, 16 + n * 24) < 0) return NULL;
    o.buf[o.len++] = (char)0x93; /* (kind, src, records) */
    int rc = put_value(&o, args[0], 0);
    if (rc == 0) rc = put_value(&o, args[1], 0);
    if (rc == 0) rc = put_items(&o, &PyList_GET_ITEM(args[2], 0), n, 0);
    PyObject *result = rc < 0 ? NULL : rc == UNSUPPORTED ? Py_NewRef(Py_None) : PyBytes_FromStringAndSize(o.buf, o.len);
    PyMem_Free(o.buf);
    return result;
}


/* ---- decode_batch: a DATA batch's bytes straight to Tuples ------------------------- */

/* What msgpack.unpackb(raw=False, strict_map_key=False) builds, for the types the
 * encoders produce without extensions; anything else (ext types such as pickled
 * values, invalid UTF-8, unhashable map keys, bad bytes) makes decode_batch return
 * None and the general path (msgpack, then _carry's salvage) decodes the message. */
typedef struct {
    const unsigned char *p, *end;
    int unsupported;
    PyObject *last_root; /* the previous record's root (strong ref) and its bits: its siblings share the object */
    uint64_t last_root_bits;
} In;

static int need(In *in, Py_ssize_t n) {
    if (in->end - in->p < n) {
        in->unsupported = 1;
        return -1;
    }
    return 0;
}

static uint64_t take_be(In *in, int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v = (v << 8) | in->p[i];
    in->p += bytes;
    return v;
}

/* an array header: its length, or -1 (in->unsupported set) */
static Py_ssize_t array_header(In *in) {
    if (need(in, 1) < 0) return -1;
    unsigned char c = *in->p++;
    if ((c & 0xf0) == 0x90) return c & 0x0f;
    if (c == 0xdc && need(in, 2) == 0) return (Py_ssize_t)take_be(in, 2);
    if (c == 0xdd && need(in, 4) == 0) return (Py_ssize_t)take_be(in, 4);
    in->unsupported = 1;
    return -1;
}

static PyObject *get_value(In *in, int depth);

static PyObject *get_list(In *in, Py_ssize_t n, int depth) {
    if (need(in, n) < 0) return NULL; /* at least one byte per item */
    PyObject *list = PyList_New(n);
    if (list == NULL) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = get_value(in, depth + 1);
        if (item == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, i, item);
    }
    return list;
}

static PyObject *get_map(In *in, Py_ssize_t n, int depth) {
    if (need(in, 2 * n) < 0) return NULL;
    PyObject *dict = PyDict_New();
    if (dict == NULL) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *key = get_value(in, depth + 1), *value = key ? get_value(in, depth + 1) : NULL;
        int rc = value ? PyDict_SetItem(dict, key, value) : -1;
        Py_XDECREF(key);
        Py_XDECREF(value);
        if (rc < 0) {
            if (key && value) { /* an unhashable key: msgpack's rules decide */
                PyErr_Clear();
                in->unsupported = 1;
            }
            Py_DECREF(dict);
            return NULL;
        }
    }
    return dict;
}

/* Short strings seen recently, by content: a repeated word is one object (its hash is
 * computed once, for the grouping's and the user's dict lookups alike) and no allocation. */
#define STR_CACHE_SIZE 4096
#define STR_CACHE_MAX 32
static PyObject *str_cache[STR_CACHE_SIZE];

static PyObject *cached_str(const char *data, Py_ssize_t n) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (Py_ssize_t i = 0; i < n; i++) h = (h ^ (unsigned char)data[i]) * 16777619u;
    PyObject **slot = &str_cache[h & (STR_CACHE_SIZE - 1)];
    if (*slot != NULL && PyUnicode_GET_LENGTH(*slot) == n && PyUnicode_IS_COMPACT_ASCII(*slot)
        && memcmp(PyUnicode_DATA(*slot), data, n) == 0)
        return Py_NewRef(*slot);
    PyObject *text = PyUnicode_DecodeUTF8(data, n, NULL);
    if (text != NULL && PyUnicode_IS_COMPACT_ASCII(text)) Py_XSETREF(*slot, Py_NewRef(text));
    return text;
}

static PyObject *get_str(In *in, Py_ssize_t n, int is_str) {
    if (need(in, n) < 0) return NULL;
    const char *data = (const char *)in->p;
    in->p += n;
    if (!is_str) return PyBytes_FromStringAndSize(data, n);
    PyObject *text = n <= STR_CACHE_MAX ? cached_str(data, n) : PyUnicode_DecodeUTF8(data, n, NULL);
    if (text == NULL) { /* invalid UTF-8: msgpack raises, the salvage path reports it */
        PyErr_Clear();
        in->unsupported = 1;
    }
    return text;
}

static PyObject *get_value(In *in, int depth) {
    if (depth > MAX_DEPTH || need(in, 1) < 0) {
        in->unsupported = 1;
        return NULL;
    }
    unsigned char c = *in->p++;
    if (c < 0x80) return PyLong_FromLong(c);
    if (c >= 0xe0) return PyLong_FromLong((long)(signed char)c);
    if ((c & 0xe0) == 0xa0) return get_str(in, c & 0x1f, 1);
    if ((c & 0xf0) == 0x90) return get_list(in, c & 0x0f, depth);
    if ((c & 0xf0) == 0x80) return get_map(in, c & 0x0f, depth);
    static const signed char widths[32] = {
        /* c0 nil */ 0, -1, 0, 0, /* c4-c6 bin */ 1, 2, 4, /* c7-c9 ext */ -1, -1, -1,
        /* ca cb float */ 4, 8, /* cc-cf uint */ 1, 2, 4, 8, /* d0-d3 int */ 1, 2, 4, 8,
        /* d4-d8 fixext */ -1, -1, -1, -1, -1, /* d9-db str */ 1, 2, 4, /* dc dd array */ 2, 4, /* de df map */ 2, 4};
    int width = widths[c - 0xc0];
    if (width < 0 || need(in, width) < 0) {
        in->unsupported = 1;
        return NULL;
    }
    uint64_t v = take_be(in, width);
    switch (c) {
    case 0xc0: Py_RETURN_NONE;
    case 0xc2: Py_RETURN_FALSE;
    case 0xc3: Py_RETURN_TRUE;
    case 0xc4: case 0xc5: case 0xc6: return get_str(in, (Py_ssize_t)v, 0);
    case 0xca: { uint32_t bits = (uint32_t)v; float f; memcpy(&f, &bits, 4); return PyFloat_FromDouble(f); }
    case 0xcb: { double d; memcpy(&d, &v, 8); return PyFloat_FromDouble(d); }
    case 0xcc: case 0xcd: case 0xce: case 0xcf: return PyLong_FromUnsignedLongLong(v);
    case 0xd0: return PyLong_FromLong((int8_t)v);
    case 0xd1: return PyLong_FromLong((int16_t)v);
    case 0xd2: return PyLong_FromLong((int32_t)v);
    case 0xd3: return PyLong_FromLongLong((int64_t)v);
    case 0xd9: case 0xda: case 0xdb: return get_str(in, (Py_ssize_t)v, 1);
    case 0xdc: case 0xdd: return get_list(in, (Py_ssize_t)v, depth);
    default: return get_map(in, (Py_ssize_t)v, depth); /* de df */
    }
}

/* A record's root: one int object for a run of records of one tree (a bolt's children of
 * one input sit next to each other in a batch), else get_value. */
static PyObject *get_root(In *in) {
    if (in->p + 9 > in->end || *in->p != 0xcf) return get_value(in, 1);
    in->p++;
    uint64_t bits = take_be(in, 8);
    if (in->last_root == NULL || in->last_root_bits != bits) {
        PyObject *root = PyLong_FromUnsignedLongLong(bits);
        if (root == NULL) return NULL;
        Py_XSETREF(in->last_root, root);
        in->last_root_bits = bits;
    }
    return Py_NewRef(in->last_root);
}

/* One record's Tuple: handle, table[sidx], values, root and edge; registers tracked inputs. */
static PyObject *get_record(In *in, PyObject *table, PyObject *src, PyObject *inputs, long long handle,
                            PyTypeObject *tuple_class) {
    PyObject *sidx = get_value(in, 0), *values = NULL, *root = NULL, *edge = NULL, *tup = NULL, *id = NULL;
    Py_ssize_t index = sidx && PyLong_CheckExact(sidx) ? PyLong_AsSsize_t(sidx) : -1;
    Py_XDECREF(sidx);
    if (index < 0 || index >= PyList_GET_SIZE(table)) goto unsupported; /* an engine bug: the general path says so */
    PyObject *row = PyList_GET_ITEM(table, index); /* (component, stream, values class, size) */
    if (!PyTuple_Check(row) || PyTuple_GET_SIZE(row) != 4 || !PyType_Check(PyTuple_GET_ITEM(row, 2))) goto unsupported;
    PyTypeObject *values_class = (PyTypeObject *)PyTuple_GET_ITEM(row, 2);
    Py_ssize_t size = PyLong_AsSsize_t(PyTuple_GET_ITEM(row, 3));
    if (size == -1 && PyErr_Occurred()) goto done;
    Py_ssize_t n = array_header(in);
    if (n < 0 || need(in, n) < 0) goto done;
    /* the values named by the stream's fields when they fit, else a plain tuple (as TaskHost._tuples) */
    PyTypeObject *cls = n == size && PyType_IsSubtype(values_class, &PyTuple_Type) ? values_class : &PyTuple_Type;
    if ((values = cls == &PyTuple_Type ? PyTuple_New(n) : cls->tp_alloc(cls, n)) == NULL) goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = get_value(in, 2);
        if (item == NULL) goto done;
        PyTuple_SET_ITEM(values, i, item);
    }
    if ((root = get_root(in)) == NULL || (edge = get_value(in, 1)) == NULL) goto done;
    PyObject *fields = Py_NewRef(values);
    if ((id = PyLong_FromLongLong(root == Py_None ? -handle : handle)) == NULL) { /* negative: untracked */
        Py_DECREF(fields);
        goto done;
    }
    if (root != Py_None) {
        PyObject *entry = PyTuple_Pack(2, root, edge); /* made a list by the first anchored emit */
        int rc = entry == NULL ? -1 : PyDict_SetItem(inputs, id, entry);
        Py_XDECREF(entry);
        if (rc < 0) {
            Py_DECREF(fields);
            goto done;
        }
    }
    PyObject *items[5] = {id, PyTuple_GET_ITEM(row, 0), PyTuple_GET_ITEM(row, 1), src, fields};
    tup = new_subtuple(tuple_class, items, 5);
    Py_DECREF(fields);
    goto done;
unsupported:
    in->unsupported = 1;
done:
    Py_XDECREF(values);
    Py_XDECREF(root);
    Py_XDECREF(edge);
    Py_XDECREF(id);
    return tup;
}

static PyObject *decode_batch(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 5 || !PyDict_Check(args[1]) || !PyDict_Check(args[2]) || !PyLong_Check(args[3]) || !PyType_Check(args[4])) {
        PyErr_SetString(PyExc_TypeError, "decode_batch(data, tables: dict, inputs: dict, first: int, tuple_class)");
        return NULL;
    }
    PyObject *tables = args[1], *inputs = args[2];
    PyTypeObject *tuple_class = (PyTypeObject *)args[4];
    long long first = PyLong_AsLongLong(args[3]);
    if (first == -1 && PyErr_Occurred()) return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0) return NULL;
    In in = {(const unsigned char *)view.buf, (const unsigned char *)view.buf + view.len, 0, NULL, 0};
    PyObject *result = NULL, *src = NULL, *tuples = NULL, *kind = NULL;
    long long k = 0, count = 0;
    if (array_header(&in) != 3) goto finish;
    if ((kind = get_value(&in, 0)) == NULL || !PyLong_CheckExact(kind) || PyLong_AsLong(kind) != 0) goto finish; /* DATA */
    if ((src = get_value(&in, 0)) == NULL || !PyLong_CheckExact(src)) goto finish;
    PyObject *table = PyDict_GetItemWithError(tables, src); /* (borrowed) known once a batch of src went the general way */
    Py_ssize_t slots = array_header(&in);
    if (table == NULL || !PyList_Check(table) || slots < 0 || slots % RECORD_WIDTH) goto finish;
    count = slots / RECORD_WIDTH;
    if (need(&in, slots) < 0 || (tuples = PyList_New(count)) == NULL) goto finish;
    for (k = 0; k < count; k++) {
        PyObject *tup = get_record(&in, table, src, inputs, first + k, tuple_class);
        if (tup == NULL) goto finish;
        PyList_SET_ITEM(tuples, k, tup);
    }
    if (in.p == in.end) result = PyTuple_Pack(2, src, tuples);
    else in.unsupported = 1;
finish:
    if (result == NULL) { /* the general path decodes it (and raises what is really wrong) */
        PyErr_Clear();
        for (long long h = first; h < first + k + (k < count); h++) { /* forget the inputs registered so far */
            PyObject *id = PyLong_FromLongLong(h);
            if (id == NULL || PyDict_DelItem(inputs, id) < 0) PyErr_Clear();
            Py_XDECREF(id);
        }
        result = Py_NewRef(Py_None);
    }
    Py_XDECREF(kind);
    Py_XDECREF(src);
    Py_XDECREF(tuples);
    Py_XDECREF(in.last_root);
    PyBuffer_Release(&view);
    return result;
}

/* ---- BoltEmit: the bolt emit of Collector._compile_bolt_emit ---------------------- */

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

static inline uint64_t rotl(const uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t next_u64(uint64_t *s) {
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* port_list[task] or collector._new_port(task): a new reference */
static PyObject *port_for(BoltEmit *self, PyObject *task) {
    Py_ssize_t index = PyLong_AsSsize_t(task);
    if (index == -1 && PyErr_Occurred()) return NULL;
    if (index >= 0 && index < PyList_GET_SIZE(self->port_list)) {
        PyObject *port = PyList_GET_ITEM(self->port_list, index);
        if (port != Py_None) {
            Py_INCREF(port);
            return port;
        }
    }
    return PyObject_CallOneArg(self->new_port, task);
}

/* port.records (new ref), read from the __slots__ slot where OutPort keeps it */
static PyObject *port_records(BoltEmit *self, PyObject *port) {
    if ((PyObject *)Py_TYPE(port) != self->port_type) {
        Py_XSETREF(self->port_type, Py_NewRef((PyObject *)Py_TYPE(port)));
        self->records_offset = slot_offset(port, s_records);
    }
    return get_state(port, self->records_offset, s_records);
}

/* the receiving task of a hot stream: the fields chooser's key cache first */
static PyObject *choose_task(PyObject *out, PyObject *values) {
    PyObject *choose = PyTuple_GET_ITEM(out, 1);
    Py_ssize_t position = PyLong_AsSsize_t(PyTuple_GET_ITEM(out, 2));
    PyObject *cache = PyTuple_GET_ITEM(out, 3);
    if (position >= 0 && PyList_Check(values) && position < PyList_GET_SIZE(values) && PyDict_Check(cache)) {
        PyObject *task = PyDict_GetItemWithError(cache, PyList_GET_ITEM(values, position));
        if (task != NULL) {
            Py_INCREF(task);
            return task;
        }
        PyErr_Clear(); /* a new or unhashable key: the chooser decides */
    }
    return PyObject_CallOneArg(choose, values);
}

/* The hot case, lock held: append one anchored record; return the task (new ref) or NULL. */
static PyObject *emit_hot(BoltEmit *self, PyObject *out, PyObject *entry, PyObject *values, int first) {
    if (first && PyThread_get_thread_ident() != self->main_thread) {
        PyObject *r = PyObject_CallNoArgs(self->wake); /* a user thread's emit: the main loop may sleep */
        if (r == NULL) return NULL;
        Py_DECREF(r);
    }
    PyObject *task = choose_task(out, values);
    if (task == NULL) return NULL;
    uint64_t value, edge = next_u64(self->rng) | 1; /* | 1: an edge is never 0, so it always changes the XOR */
    PyObject *edge_obj = NULL, *value_obj = NULL, *port = NULL, *records = NULL;
    int untracked = PyList_GET_ITEM(entry, 0) == Py_None; /* anchored to an untracked input: untracked too */
    if (untracked) {
        edge_obj = PyLong_FromLong(0);
    } else {
        if (as_u64(PyList_GET_ITEM(entry, 1), &value) < 0) goto error;
        if ((edge_obj = PyLong_FromUnsignedLongLong(edge)) == NULL) goto error;
        if ((value_obj = PyLong_FromUnsignedLongLong(value ^ edge)) == NULL) goto error;
    }
    if ((port = port_for(self, task)) == NULL) goto error;
    if ((records = port_records(self, port)) == NULL) goto error;
    if (!PyList_Check(records)) {
        PyErr_SetString(PyExc_TypeError, "OutPort.records must be a list");
        goto error;
    }
    if (PyList_Append(records, PyTuple_GET_ITEM(out, 0)) < 0 || PyList_Append(records, values) < 0
        || PyList_Append(records, PyList_GET_ITEM(entry, 0)) < 0 || PyList_Append(records, edge_obj) < 0)
        goto error;
    if (!untracked) {
        PyList_SetItem(entry, 1, value_obj); /* steals value_obj: the input's entry XORs its children's edges */
        value_obj = NULL;
    }
    if (PyList_GET_SIZE(records) >= self->limit) {
        PyObject *r = PyObject_CallOneArg(self->seal, port);
        if (r == NULL) goto error;
        Py_DECREF(r);
    }
    Py_DECREF(edge_obj);
    Py_DECREF(port);
    Py_DECREF(records);
    return task;
error:
    Py_DECREF(task);
    Py_XDECREF(edge_obj);
    Py_XDECREF(value_obj);
    Py_XDECREF(port);
    Py_XDECREF(records);
    return NULL;
}

/* hot_outs.get(stream), with the last stream remembered: a borrowed ref or NULL */
static PyObject *hot_out(BoltEmit *self, PyObject *stream) {
    if (stream == self->last_stream) return self->last_out;
    PyObject *out = PyDict_GetItemWithError(self->hot_outs, stream);
    if (out == NULL || !PyTuple_Check(out) || PyTuple_GET_SIZE(out) != 4) {
        PyErr_Clear();
        return NULL;
    }
    Py_INCREF(stream);
    Py_XSETREF(self->last_stream, stream);
    Py_INCREF(out);
    Py_XSETREF(self->last_out, out);
    return out;
}

/* Collector._heat's common case in C: anchors is one positive handle (a tuple or list of one
 * int) whose input entry has one root: turn a (root, value) entry into a list, make it the
 * hot entry (collector._hot = (anchors, entry)) and return it (new ref). Everything else
 * (untracked or unknown handles, several roots or anchors) is left to collector._heat. */
static PyObject *heat(BoltEmit *self, PyObject *anchors) {
    PyObject *handle = NULL;
    if (PyTuple_CheckExact(anchors) && PyTuple_GET_SIZE(anchors) == 1) handle = PyTuple_GET_ITEM(anchors, 0);
    else if (PyList_CheckExact(anchors) && PyList_GET_SIZE(anchors) == 1) handle = PyList_GET_ITEM(anchors, 0);
    if (handle == NULL || !PyLong_CheckExact(handle) || Py_SIZE(handle) <= 0)
        return PyObject_CallOneArg(self->heat, anchors);
    PyObject *inputs = fast_attr(self->collector, s_inputs);
    if (inputs == NULL) return NULL;
    PyObject *entry = PyDict_Check(inputs) ? PyDict_GetItemWithError(inputs, handle) : NULL; /* borrowed */
    if (entry == NULL || PySequence_Fast_GET_SIZE(entry) != 2 || !(PyTuple_CheckExact(entry) || PyList_CheckExact(entry))
        || !PyLong_CheckExact(PySequence_Fast_GET_ITEM(entry, 0))) {
        Py_DECREF(inputs);
        return PyErr_Occurred() ? NULL : PyObject_CallOneArg(self->heat, anchors);
    }
    if (PyTuple_CheckExact(entry)) { /* children XOR their edges into it: a list from now on */
        PyObject *list = PyList_New(2);
        if (list == NULL) goto error;
        PyList_SET_ITEM(list, 0, Py_NewRef(PyTuple_GET_ITEM(entry, 0)));
        PyList_SET_ITEM(list, 1, Py_NewRef(PyTuple_GET_ITEM(entry, 1)));
        int rc = PyDict_SetItem(inputs, handle, list);
        Py_DECREF(list); /* the dict holds it */
        if (rc < 0) goto error;
        entry = list;
    }
    Py_INCREF(entry);
    Py_DECREF(inputs);
    PyObject *hot = PyTuple_Pack(2, anchors, entry);
    if (hot == NULL || PyObject_SetAttr(self->collector, s_hot, hot) < 0) {
        Py_XDECREF(hot);
        Py_DECREF(entry);
        return NULL;
    }
    Py_DECREF(hot);
    return entry;
error:
    Py_DECREF(inputs);
    return NULL;
}

/* Under the lock: the hot case or collector._bolt_emit_slow; *targets gets the slow path's targets. */
static PyObject *emit_locked(BoltEmit *self, PyObject *const *args, PyObject **targets) {
    PyObject *stream = args[0], *values = args[1], *anchors = args[2], *direct_task = args[4];
    PyObject *hot = fast_attr(self->collector, s_hot);
    if (hot == NULL) return NULL;
    if (!PyTuple_Check(hot) || PyTuple_GET_SIZE(hot) != 2) {
        Py_DECREF(hot);
        PyErr_SetString(PyExc_TypeError, "Collector._hot must be a pair");
        return NULL;
    }
    int first = PyTuple_GET_ITEM(hot, 0) != anchors;
    PyObject *entry = PyTuple_GET_ITEM(hot, 1);
    Py_INCREF(entry);
    Py_DECREF(hot);
    if (first) { /* the first emit of a process() call, or explicit anchors */
        Py_SETREF(entry, heat(self, anchors));
        if (entry == NULL) return NULL;
    }
    PyObject *out = (entry != Py_None && direct_task == Py_None && PyList_Check(entry)
                     && PyList_GET_SIZE(entry) == 2) ? hot_out(self, stream) : NULL;
    PyObject *task;
    if (out == NULL) {
        *targets = PyObject_CallFunctionObjArgs(self->slow, stream, values, anchors, direct_task, NULL);
        task = *targets == NULL ? NULL : Py_NewRef(Py_None);
    } else {
        task = emit_hot(self, out, entry, values, first);
    }
    Py_DECREF(entry);
    return task;
}

/* Whether this is the interpreter's only thread: then no other thread can hold the
 * collector's lock, and with the GIL held the emit is atomic without it (a thread being
 * started already has its thread state, so none appears unseen). */
static int only_thread(void) {
    PyThreadState *ts = PyThreadState_Get();
    PyThreadState *head = PyInterpreterState_ThreadHead(PyThreadState_GetInterpreter(ts));
    return head == ts && PyThreadState_Next(head) == NULL;
}

static PyObject *call_quietly(PyObject *func, PyObject **result) {
    /* call func() keeping a pending exception; NULL (and *result released) on failure */
    PyObject *exc_type, *exc_value, *exc_tb;
    PyErr_Fetch(&exc_type, &exc_value, &exc_tb);
    PyObject *r = PyObject_CallNoArgs(func);
    if (r == NULL) {
        Py_XDECREF(exc_type); Py_XDECREF(exc_value); Py_XDECREF(exc_tb);
        Py_CLEAR(*result);
        return NULL;
    }
    Py_DECREF(r);
    PyErr_Restore(exc_type, exc_value, exc_tb);
    return Py_None;
}

static PyObject *BoltEmit_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    BoltEmit *self = (BoltEmit *)callable;
    if (kwnames != NULL || PyVectorcall_NARGS(nargsf) != 6)
        return PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
    int locking = !only_thread();
    PyObject *r;
    if (locking) {
        if ((r = PyObject_CallNoArgs(self->acquire)) == NULL) return NULL;
        Py_DECREF(r);
    }
    PyObject *targets = NULL;
    PyObject *task = emit_locked(self, args, &targets);
    if (locking && call_quietly(self->release, &task) == NULL) {
        Py_XDECREF(targets);
        return NULL;
    }
    if (task == NULL) {
        Py_XDECREF(targets);
        return NULL;
    }
    int need_task_ids = PyObject_IsTrue(args[5]);
    if (need_task_ids < 0) goto fail;
    if (targets != NULL) { /* the slow path: wake a sleeping main loop for a user thread's emit */
        if (PyThread_get_thread_ident() != self->main_thread) {
            r = PyObject_CallNoArgs(self->wake);
            if (r == NULL) goto fail;
            Py_DECREF(r);
        }
        Py_DECREF(task);
        if (need_task_ids) return targets;
        Py_DECREF(targets);
        Py_RETURN_NONE;
    }
    if (!need_task_ids) {
        Py_DECREF(task);
        Py_RETURN_NONE;
    }
    PyObject *list = PyList_New(1);
    if (list == NULL) goto fail;
    PyList_SET_ITEM(list, 0, task); /* steals */
    return list;
fail:
    Py_DECREF(task);
    Py_XDECREF(targets);
    return NULL;
}

/* many(stream, tuples, size, anchors, direct_task): emit tuples[0], tuples[1], ... untracked by
 * id, not asking task ids, with the same anchors object, under one lock acquisition, while
 * each is an exact list of size values; return how many were emitted (the caller checks the
 * one that stopped it, as emit would). */
static PyObject *BoltEmit_many(BoltEmit *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 5 || !(PyList_CheckExact(args[1]) || PyTuple_CheckExact(args[1]))) {
        PyErr_SetString(PyExc_TypeError, "many(stream, tuples: list | tuple, size, anchors, direct_task)");
        return NULL;
    }
    Py_ssize_t size = args[2] == Py_None ? -1 : PyLong_AsSsize_t(args[2]);
    if (size == -1 && PyErr_Occurred()) return NULL;
    PyObject *tuples = args[1];
    PyObject *emit_args[6] = {args[0], NULL, args[3], Py_None, args[4], Py_False};
    int locking = !only_thread();
    PyObject *r, *error = NULL; /* error: a placeholder meaning "an exception is set" */
    if (locking) {
        if ((r = PyObject_CallNoArgs(self->acquire)) == NULL) return NULL;
        Py_DECREF(r);
    }
    Py_ssize_t i = 0;
    /* the size is re-read each time: user code (a chooser) could change a list, never this C loop */
    for (; i < (PyList_CheckExact(tuples) ? PyList_GET_SIZE(tuples) : PyTuple_GET_SIZE(tuples)); i++) {
        PyObject *values = PyList_CheckExact(tuples) ? PyList_GET_ITEM(tuples, i) : PyTuple_GET_ITEM(tuples, i);
        if (!PyList_CheckExact(values) || PyList_GET_SIZE(values) != size) break;
        Py_INCREF(values);
        emit_args[1] = values;
        PyObject *targets = NULL;
        PyObject *task = emit_locked(self, emit_args, &targets);
        Py_DECREF(values);
        Py_XDECREF(targets);
        if (task == NULL) {
            error = Py_None;
            break;
        }
        Py_DECREF(task);
    }
    PyObject *count = error == NULL ? PyLong_FromSsize_t(i) : NULL;
    if (locking && call_quietly(self->release, &count) == NULL) return NULL;
    if (count != NULL && i > 0 && PyThread_get_thread_ident() != self->main_thread) {
        r = PyObject_CallNoArgs(self->wake); /* a user thread's emits: the main loop may be asleep */
        if (r == NULL) Py_CLEAR(count);
        else Py_DECREF(r);
    }
    return count;
}

static PyMethodDef BoltEmit_methods[] = {
    {"many", (PyCFunction)(void (*)(void))BoltEmit_many, METH_FASTCALL,
     "many(stream, tuples, size, anchors, direct_task): emit while each tuple is a list of size values; "
     "return how many were emitted."},
    {NULL, NULL, 0, NULL},
};

static int BoltEmit_init(BoltEmit *self, PyObject *args, PyObject *kwds) {
    PyObject *collector, *hot_outs, *port_list, *fallback, *lock, *main_thread;
    Py_ssize_t limit;
    Py_buffer seed;
    static char *kwlist[] = {"collector", "hot_outs", "port_list", "limit", "seed", "fallback", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO!O!ny*O", kwlist, &collector, &PyDict_Type, &hot_outs,
                                     &PyList_Type, &port_list, &limit, &seed, &fallback))
        return -1;
    if (seed.len < (Py_ssize_t)sizeof(self->rng)) {
        PyBuffer_Release(&seed);
        PyErr_SetString(PyExc_ValueError, "BoltEmit needs a seed of at least 32 bytes");
        return -1;
    }
    memcpy(self->rng, seed.buf, sizeof(self->rng));
    PyBuffer_Release(&seed);
    if (!(self->rng[0] | self->rng[1] | self->rng[2] | self->rng[3])) self->rng[0] = 1;
    if ((lock = PyObject_GetAttr(collector, s_lock)) == NULL) return -1;
    Py_XSETREF(self->acquire, PyObject_GetAttr(lock, s_acquire));
    Py_XSETREF(self->release, PyObject_GetAttr(lock, s_release));
    Py_DECREF(lock);
    Py_XSETREF(self->heat, PyObject_GetAttr(collector, s_heat));
    Py_XSETREF(self->slow, PyObject_GetAttr(collector, s_slow));
    Py_XSETREF(self->new_port, PyObject_GetAttr(collector, s_new_port));
    Py_XSETREF(self->seal, PyObject_GetAttr(collector, s_seal));
    Py_XSETREF(self->wake, PyObject_GetAttr(collector, s_wake));
    if (!self->acquire || !self->release || !self->heat || !self->slow || !self->new_port || !self->seal || !self->wake)
        return -1;
    if ((main_thread = PyObject_GetAttr(collector, s_main_thread)) == NULL) return -1;
    self->main_thread = PyLong_AsUnsignedLong(main_thread);
    Py_DECREF(main_thread);
    if (PyErr_Occurred()) return -1;
    Py_INCREF(collector);
    Py_XSETREF(self->collector, collector);
    Py_INCREF(hot_outs);
    Py_XSETREF(self->hot_outs, hot_outs);
    Py_INCREF(port_list);
    Py_XSETREF(self->port_list, port_list);
    Py_INCREF(fallback);
    Py_XSETREF(self->fallback, fallback);
    self->limit = limit;
    self->vectorcall = BoltEmit_vectorcall;
    return 0;
}

static int BoltEmit_traverse(BoltEmit *self, visitproc visit, void *arg) {
    Py_VISIT(self->collector);
    Py_VISIT(self->hot_outs);
    Py_VISIT(self->port_list);
    Py_VISIT(self->fallback);
    Py_VISIT(self->acquire);
    Py_VISIT(self->release);
    Py_VISIT(self->heat);
    Py_VISIT(self->slow);
    Py_VISIT(self->new_port);
    Py_VISIT(self->seal);
    Py_VISIT(self->wake);
    Py_VISIT(self->last_stream);
    Py_VISIT(self->last_out);
    Py_VISIT(self->pending);
    Py_VISIT(self->port_type);
    return 0;
}

static int BoltEmit_clear(BoltEmit *self) {
    Py_CLEAR(self->collector);
    Py_CLEAR(self->hot_outs);
    Py_CLEAR(self->port_list);
    Py_CLEAR(self->fallback);
    Py_CLEAR(self->acquire);
    Py_CLEAR(self->release);
    Py_CLEAR(self->heat);
    Py_CLEAR(self->slow);
    Py_CLEAR(self->new_port);
    Py_CLEAR(self->seal);
    Py_CLEAR(self->wake);
    Py_CLEAR(self->last_stream);
    Py_CLEAR(self->last_out);
    Py_CLEAR(self->pending);
    Py_CLEAR(self->port_type);
    return 0;
}

static void BoltEmit_dealloc(BoltEmit *self) {
    PyObject_GC_UnTrack(self);
    BoltEmit_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}


/* ---- AutoEmit: Bolt.emit's common call without a Python frame -------------------- */

/* AutoEmit(component, host_emit, fallback, stream): emit(values) with one exact list of
 * the default stream's size is host_emit(stream, values, anchors, None, None, False), the
 * anchors being component._squall_anchors when component._squall_anchor_thread is this
 * thread, else (): what Bolt.emit does for that call. Every other call goes to fallback
 * (Bolt.emit itself), so no rule lives only here. */
typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *component, *host_emit, *fallback, *stream, *empty;
    Py_ssize_t size; /* component._squall_default_size once read as an int (set by _squall_prepare), else -1 */
    PyObject *component_type; /* the type the offsets below were found in */
    Py_ssize_t thread_at, anchors_at; /* Bolt's slots _squall_anchor_thread, _squall_anchors (0: getattr) */
} AutoEmit;

static PyObject *s_default_size, *s_anchor_thread, *s_anchors;

/* the auto anchors of a call on this thread (new ref), () elsewhere, NULL on error */
static PyObject *auto_anchors(AutoEmit *self) {
    PyObject *component = self->component;
    if ((PyObject *)Py_TYPE(component) != self->component_type) {
        Py_XSETREF(self->component_type, Py_NewRef((PyObject *)Py_TYPE(component)));
        self->thread_at = slot_offset(component, s_anchor_thread);
        self->anchors_at = slot_offset(component, s_anchors);
    }
    PyObject *thread = get_state(component, self->thread_at, s_anchor_thread);
    if (thread == NULL) return NULL;
    int here = 0;
    if (PyLong_CheckExact(thread)) {
        unsigned long ident = PyLong_AsUnsignedLong(thread);
        if (ident == (unsigned long)-1 && PyErr_Occurred()) PyErr_Clear(); /* not a thread id: not equal */
        else here = ident == PyThread_get_thread_ident();
    }
    Py_DECREF(thread);
    return here ? get_state(component, self->anchors_at, s_anchors) : Py_NewRef(self->empty);
}

static PyObject *AutoEmit_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    AutoEmit *self = (AutoEmit *)callable;
    if (kwnames != NULL || PyVectorcall_NARGS(nargsf) != 1 || !PyList_CheckExact(args[0]))
        return PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
    if (self->size < 0) {
        PyObject *size = PyObject_GetAttr(self->component, s_default_size);
        if (size == NULL) return NULL;
        Py_ssize_t known = PyLong_CheckExact(size) ? PyLong_AsSsize_t(size) : -1;
        Py_DECREF(size);
        if (known == -1 && PyErr_Occurred()) return NULL;
        self->size = known;
    }
    if (self->size != PyList_GET_SIZE(args[0])) /* the Python emit converts it or raises the error */
        return PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
    PyObject *anchors = auto_anchors(self);
    if (anchors == NULL) return NULL;
    PyObject *call[6] = {self->stream, args[0], anchors, Py_None, Py_None, Py_False};
    PyObject *result = PyObject_Vectorcall(self->host_emit, call, 6, NULL);
    Py_DECREF(anchors);
    return result;
}

static int AutoEmit_init(AutoEmit *self, PyObject *args, PyObject *kwds) {
    PyObject *component, *host_emit, *fallback, *stream;
    static char *kwlist[] = {"component", "host_emit", "fallback", "stream", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOU", kwlist, &component, &host_emit, &fallback, &stream))
        return -1;
    Py_XSETREF(self->component, Py_NewRef(component));
    Py_XSETREF(self->host_emit, Py_NewRef(host_emit));
    Py_XSETREF(self->fallback, Py_NewRef(fallback));
    Py_XSETREF(self->stream, Py_NewRef(stream));
    Py_XSETREF(self->empty, PyTuple_New(0));
    if (self->empty == NULL) return -1;
    self->size = -1;
    self->vectorcall = AutoEmit_vectorcall;
    return 0;
}

static int AutoEmit_traverse(AutoEmit *self, visitproc visit, void *arg) {
    Py_VISIT(self->component);
    Py_VISIT(self->host_emit);
    Py_VISIT(self->fallback);
    Py_VISIT(self->stream);
    Py_VISIT(self->empty);
    Py_VISIT(self->component_type);
    return 0;
}

static int AutoEmit_clear(AutoEmit *self) {
    Py_CLEAR(self->component);
    Py_CLEAR(self->host_emit);
    Py_CLEAR(self->fallback);
    Py_CLEAR(self->stream);
    Py_CLEAR(self->empty);
    Py_CLEAR(self->component_type);
    return 0;
}

static void AutoEmit_dealloc(AutoEmit *self) {
    PyObject_GC_UnTrack(self);
    AutoEmit_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *AutoEmit_call_unready(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    PyErr_SetString(PyExc_TypeError, "AutoEmit(component, host_emit, fallback, stream) was not initialised");
    return NULL;
}

static PyObject *AutoEmit_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    AutoEmit *self = (AutoEmit *)PyType_GenericNew(type, args, kwds);
    if (self != NULL) self->vectorcall = AutoEmit_call_unready;
    return (PyObject *)self;
}

static PyTypeObject AutoEmitType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "squall.engine._speedups.AutoEmit",
    .tp_basicsize = sizeof(AutoEmit),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "Bolt.emit(values) of one component: the common call in C, every other call to Bolt.emit.",
    .tp_new = AutoEmit_new,
    .tp_init = (initproc)AutoEmit_init,
    .tp_dealloc = (destructor)AutoEmit_dealloc,
    .tp_traverse = (traverseproc)AutoEmit_traverse,
    .tp_clear = (inquiry)AutoEmit_clear,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(AutoEmit, vectorcall),
};

/* ---- SpoutEmit: the spout emit of Collector._spout_emit --------------------------- */

static PyObject *s_emit_calls, *one;

static double monotonic_secs(void) { /* what time.monotonic() reads on Linux */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One tuple to one task: (sidx, values, root, edge), root None when untracked; starts its tree. */
static PyObject *spout_emit_one(BoltEmit *self, PyObject *out, PyObject *values, PyObject *tup_id) {
    PyObject *task = choose_task(out, values), *root = NULL, *edge = NULL, *port = NULL, *records = NULL, *entry = NULL;
    if (task == NULL) return NULL;
    if (tup_id == Py_None) {
        root = Py_NewRef(Py_None);
        edge = PyLong_FromLong(0);
    } else {
        /* the root's low bits name this spout task (bolts send its acks here); + 1: never 0 */
        uint64_t r = (((next_u64(self->rng) >> 18) + 1) << 16) | self->task_id;
        root = PyLong_FromUnsignedLongLong(r);
        edge = PyLong_FromUnsignedLongLong(next_u64(self->rng) | 1);
    }
    if (root == NULL || edge == NULL || (port = port_for(self, task)) == NULL) goto error;
    if ((records = port_records(self, port)) == NULL) goto error;
    if (!PyList_Check(records)) {
        PyErr_SetString(PyExc_TypeError, "OutPort.records must be a list");
        goto error;
    }
    if (PyList_Append(records, PyTuple_GET_ITEM(out, 0)) < 0 || PyList_Append(records, values) < 0
        || PyList_Append(records, root) < 0 || PyList_Append(records, edge) < 0)
        goto error;
    if (tup_id != Py_None) {
        PyObject *start = PyFloat_FromDouble(monotonic_secs());
        if (start == NULL) goto error;
        entry = PyList_New(3);
        if (entry == NULL) {
            Py_DECREF(start);
            goto error;
        }
        PyList_SET_ITEM(entry, 0, Py_NewRef(edge));
        PyList_SET_ITEM(entry, 1, Py_NewRef(tup_id));
        PyList_SET_ITEM(entry, 2, start);
        if (PyDict_SetItem(self->pending, root, entry) < 0) goto error;
    }
    if (PyList_GET_SIZE(records) >= self->limit) {
        PyObject *r = PyObject_CallOneArg(self->seal, port);
        if (r == NULL) goto error;
        Py_DECREF(r);
    }
    Py_XDECREF(entry);
    Py_DECREF(root);
    Py_DECREF(edge);
    Py_DECREF(port);
    Py_DECREF(records);
    return task;
error:
    Py_DECREF(task);
    Py_XDECREF(entry);
    Py_XDECREF(root);
    Py_XDECREF(edge);
    Py_XDECREF(port);
    Py_XDECREF(records);
    return NULL;
}

/* fallback(...) (Collector._spout_emit), with self->calls following collector.emit_calls.
 * With user threads emitting too, a window may also see their counts: calls then grows
 * by more than one emit, never by less, which is all spout_burst asks ("did it grow?"). */
static PyObject *spout_emit_fallback(BoltEmit *self, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    PyObject *before = PyObject_GetAttr(self->collector, s_emit_calls);
    if (before == NULL) return NULL;
    PyObject *result = PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
    PyObject *exc_type, *exc_value, *exc_tb;
    PyErr_Fetch(&exc_type, &exc_value, &exc_tb); /* an emit that raised may have counted too */
    PyObject *after = PyObject_GetAttr(self->collector, s_emit_calls);
    Py_ssize_t grew = after == NULL ? -1 : PyLong_AsSsize_t(after) - PyLong_AsSsize_t(before);
    Py_DECREF(before);
    Py_XDECREF(after);
    if (PyErr_Occurred()) {
        Py_XDECREF(exc_type); Py_XDECREF(exc_value); Py_XDECREF(exc_tb);
        Py_XDECREF(result);
        return NULL;
    }
    self->calls += grew;
    PyErr_Restore(exc_type, exc_value, exc_tb);
    return result;
}

static PyObject *SpoutEmit_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    BoltEmit *self = (BoltEmit *)callable;
    /* the common case: one receiving task, no direct task, and no other thread (then no lock is needed) */
    PyObject *out = kwnames == NULL && PyVectorcall_NARGS(nargsf) == 6 && args[4] == Py_None && only_thread()
        ? hot_out(self, args[0]) : NULL;
    if (out == NULL) return spout_emit_fallback(self, args, nargsf, kwnames);
    self->calls++;
    self->hot_calls++; /* counted before the emit, as Collector._spout_emit counts before appending */
    PyObject *task = spout_emit_one(self, out, args[1], args[3]);
    if (task == NULL) return NULL;
    int need_task_ids = PyObject_IsTrue(args[5]);
    if (need_task_ids <= 0) {
        Py_DECREF(task);
        if (need_task_ids < 0) return NULL;
        Py_RETURN_NONE;
    }
    PyObject *list = PyList_New(1);
    if (list == NULL) {
        Py_DECREF(task);
        return NULL;
    }
    PyList_SET_ITEM(list, 0, task);
    return list;
}

static int SpoutEmit_init(BoltEmit *self, PyObject *args, PyObject *kwds) {
    /* SpoutEmit(collector, hot_outs, port_list, limit, seed, fallback, pending, task_id) */
    PyObject *pending;
    unsigned long long task_id;
    Py_ssize_t n = PyTuple_GET_SIZE(args);
    if (kwds != NULL || n != 8 || !PyDict_Check(PyTuple_GET_ITEM(args, 6))) {
        PyErr_SetString(PyExc_TypeError, "SpoutEmit(collector, hot_outs, port_list, limit, seed, fallback, pending, task_id)");
        return -1;
    }
    PyObject *head = PyTuple_GetSlice(args, 0, 6);
    if (head == NULL) return -1;
    int rc = BoltEmit_init(self, head, NULL);
    Py_DECREF(head);
    if (rc < 0) return -1;
    pending = PyTuple_GET_ITEM(args, 6);
    task_id = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(args, 7));
    if (PyErr_Occurred()) return -1;
    if (task_id >= (1u << 16)) {
        PyErr_SetString(PyExc_ValueError, "SpoutEmit: task id must fit the root's 16 low bits");
        return -1;
    }
    Py_INCREF(pending);
    Py_XSETREF(self->pending, pending);
    self->task_id = task_id;
    self->vectorcall = SpoutEmit_vectorcall;
    return 0;
}

static PyTypeObject BoltEmitType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "squall.engine._speedups.BoltEmit",
    .tp_basicsize = sizeof(BoltEmit),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "The bolt task's emit(stream, values, anchors, tup_id, direct_task, need_task_ids).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)BoltEmit_init,
    .tp_methods = BoltEmit_methods,
    .tp_dealloc = (destructor)BoltEmit_dealloc,
    .tp_traverse = (traverseproc)BoltEmit_traverse,
    .tp_clear = (inquiry)BoltEmit_clear,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(BoltEmit, vectorcall),
};

static PyMemberDef SpoutEmit_members[] = {
    {"hot_calls", T_PYSSIZET, offsetof(BoltEmit, hot_calls), READONLY,
     "the emit calls run in C (Collector.emit_calls adds them to its own count)"},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject SpoutEmitType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "squall.engine._speedups.SpoutEmit",
    .tp_basicsize = sizeof(BoltEmit),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "The spout task's emit(stream, values, anchors, tup_id, direct_task, need_task_ids).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)SpoutEmit_init,
    .tp_members = SpoutEmit_members,
    .tp_dealloc = (destructor)BoltEmit_dealloc,
    .tp_traverse = (traverseproc)BoltEmit_traverse,
    .tp_clear = (inquiry)BoltEmit_clear,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(BoltEmit, vectorcall),
};

/* ---- spout_acks: a spout task's ACKS message folded into its pending trees ------- */

/* The loop of TaskHost._process_acks (twin: _hotpath.spout_acks). For each (root, value)
 * pair of acks from index start on: XOR value into pending[root][0] (roots no longer
 * pending are skipped: failed, timed out, or a previous incarnation's); a tree whose XOR
 * reaches 0 is removed, its latency recorded (LatencyStats.add's buckets), counted in
 * collector.acked, and spout.ack(msg id) called. An Exception from ack() stops the loop:
 * the result is (index of the next pair, the exception), so the caller applies its
 * error policy and may go on from there; else None. The counters are written back on
 * every exit, a BaseException's too. */

static PyObject *s_pending, *s_latency, *s_buckets, *s_count, *s_total, *s_acked, *s_ack;

#define BUCKETS_PER_OCTAVE 8
#define MIN_BUCKET (-10 * BUCKETS_PER_OCTAVE) /* LatencyStats._MIN_LOG: at or below 1 us */

/* LatencyStats.add's bucket: int(math.log2(ms) * 8) (math.log2 is libm's log2; int() and
 * the cast both truncate toward zero), or MIN_BUCKET */
static long latency_bucket(double ms) {
    return ms > 0.001 ? (long)(log2(ms) * BUCKETS_PER_OCTAVE) : MIN_BUCKET;
}

/* buckets[index] = buckets.get(index, 0) + n */
static int count_bucket(PyObject *buckets, long index, Py_ssize_t n) {
    PyObject *key = PyLong_FromLong(index), *more = PyLong_FromSsize_t(n);
    PyObject *old = key == NULL || more == NULL ? NULL : PyDict_GetItemWithError(buckets, key); /* borrowed */
    PyObject *now = old != NULL ? PyNumber_Add(old, more) : PyErr_Occurred() ? NULL : Py_XNewRef(more);
    int rc = now == NULL ? -1 : PyDict_SetItem(buckets, key, now);
    Py_XDECREF(now);
    Py_XDECREF(more);
    Py_XDECREF(key);
    return rc;
}

/* A call's bucket counts, kept in C and added to the histogram's dict once per call (the
 * dict then holds what one buckets[i] += 1 per tree would leave). Latencies from 1 us to
 * ~10 days fit; a bucket outside goes to the dict at once. */
#define LOCAL_BUCKETS 400
typedef struct {
    Py_ssize_t counts[LOCAL_BUCKETS];
    int low, high; /* the used range: low > high when empty */
} Buckets;

static int bucket_add(Buckets *b, PyObject *buckets, long index) {
    long slot = index - MIN_BUCKET;
    if (slot < 0 || slot >= LOCAL_BUCKETS) return count_bucket(buckets, index, 1);
    if (b->low > b->high) b->low = b->high = (int)slot;
    else if (slot < b->low) b->low = (int)slot;
    else if (slot > b->high) b->high = (int)slot;
    b->counts[slot]++;
    return 0;
}

static int buckets_flush(Buckets *b, PyObject *buckets) {
    for (int slot = b->low; slot <= b->high; slot++) {
        if (b->counts[slot] && count_bucket(buckets, slot + MIN_BUCKET, b->counts[slot]) < 0) return -1;
    }
    return 0;
}

/* obj.name += done (an int attribute) */
static int add_to_attr(PyObject *obj, PyObject *name, Py_ssize_t done) {
    PyObject *old = PyObject_GetAttr(obj, name);
    if (old == NULL) return -1;
    PyObject *more = PyLong_FromSsize_t(done);
    PyObject *now = more == NULL ? NULL : PyNumber_Add(old, more);
    Py_DECREF(old);
    Py_XDECREF(more);
    if (now == NULL) return -1;
    int rc = PyObject_SetAttr(obj, name, now);
    Py_DECREF(now);
    return rc;
}

/* the local buckets into the histogram's, latency.count += done, latency.total = total,
 * collector.acked += done; keeps a pending exception */
static int write_back(PyObject *latency, PyObject *collector, PyObject *buckets, Buckets *local, Py_ssize_t done,
                      double total) {
    if (done == 0) return 0;
    PyObject *exc_type, *exc_value, *exc_tb;
    PyErr_Fetch(&exc_type, &exc_value, &exc_tb);
    PyObject *total_obj = PyFloat_FromDouble(total);
    int rc = total_obj == NULL || buckets_flush(local, buckets) < 0 || PyObject_SetAttr(latency, s_total, total_obj) < 0
        || add_to_attr(latency, s_count, done) < 0 || add_to_attr(collector, s_acked, done) < 0 ? -1 : 0;
    Py_XDECREF(total_obj);
    if (rc < 0) {
        Py_XDECREF(exc_type); Py_XDECREF(exc_value); Py_XDECREF(exc_tb);
        return -1;
    }
    PyErr_Restore(exc_type, exc_value, exc_tb);
    return 0;
}

/* One pair: 1 when it completed a tree (*entry_out: the removed entry, a new ref), 0 when not, -1 on error. */
static int fold_pair(PyObject *pending, PyObject *root, uint64_t acked, PyObject **entry_out) {
    PyObject *entry = PyDict_GetItemWithError(pending, root); /* borrowed */
    if (entry == NULL) return PyErr_Occurred() ? -1 : 0;
    if (!PyList_CheckExact(entry) || PyList_GET_SIZE(entry) != 3) {
        PyErr_SetString(PyExc_TypeError, "malformed pending tree: expected [xor, msg id, start]");
        return -1;
    }
    uint64_t xor;
    if (as_u64(PyList_GET_ITEM(entry, 0), &xor) < 0) return -1;
    if (acked ^ xor) { /* the tree still has unacked edges */
        PyObject *rest = PyLong_FromUnsignedLongLong(acked ^ xor);
        if (rest == NULL) return -1;
        PyList_SetItem(entry, 0, rest); /* steals rest */
        return 0;
    }
    Py_INCREF(entry);
    if (PyDict_DelItem(pending, root) < 0) {
        Py_DECREF(entry);
        return -1;
    }
    *entry_out = entry;
    return 1;
}

/* the raised exception, normalized, with its traceback attached (a new ref); the error is cleared */
static PyObject *fetch_exception(void) {
    PyObject *exc_type, *exc_value, *exc_tb;
    PyErr_Fetch(&exc_type, &exc_value, &exc_tb);
    PyErr_NormalizeException(&exc_type, &exc_value, &exc_tb);
    if (exc_tb != NULL && exc_value != NULL) PyException_SetTraceback(exc_value, exc_tb);
    Py_XDECREF(exc_type);
    Py_XDECREF(exc_tb);
    return exc_value;
}

/* One call's folding of pairs into a tracker: what it reads once, what it writes back at the end. */
typedef struct {
    PyObject *collector, *spout, *pending, *latency, *buckets, *total_obj;
    double now, total;
    Py_ssize_t done;
    Buckets local;
} AckRun;

static int ack_run_open(AckRun *run, PyObject *tracker, PyObject *collector, PyObject *spout, double now) {
    run->collector = collector;
    run->spout = spout;
    run->now = now;
    run->total = 0.0;
    run->done = 0;
    run->local.low = 1;
    run->local.high = 0;
    memset(run->local.counts, 0, sizeof(run->local.counts));
    run->pending = PyObject_GetAttr(tracker, s_pending);
    run->latency = PyObject_GetAttr(tracker, s_latency);
    run->buckets = run->latency == NULL ? NULL : PyObject_GetAttr(run->latency, s_buckets);
    run->total_obj = run->latency == NULL ? NULL : PyObject_GetAttr(run->latency, s_total);
    if (run->pending == NULL || run->buckets == NULL || run->total_obj == NULL) return -1;
    if (!PyDict_CheckExact(run->pending) || !PyDict_CheckExact(run->buckets)) {
        PyErr_SetString(PyExc_TypeError, "spout_acks: the tracker's pending and its latency's buckets must be dicts");
        return -1;
    }
    run->total = PyFloat_AsDouble(run->total_obj);
    return run->total == -1.0 && PyErr_Occurred() ? -1 : 0;
}

/* One pair: 0 to go on, 1 when ack() raised an Exception (*exc: it, a new ref), -1 on error. */
static int ack_run_pair(AckRun *run, PyObject *root, uint64_t value, PyObject **exc) {
    PyObject *entry = NULL;
    int completed = fold_pair(run->pending, root, value, &entry);
    if (completed <= 0) return completed;
    double start = PyFloat_AsDouble(PyList_GET_ITEM(entry, 2));
    double ms = (run->now - start) * 1000.0;
    if ((start == -1.0 && PyErr_Occurred()) || bucket_add(&run->local, run->buckets, latency_bucket(ms)) < 0) {
        Py_DECREF(entry);
        return -1;
    }
    run->total += ms;
    run->done++;
    PyObject *r = PyObject_CallMethodOneArg(run->spout, s_ack, PyList_GET_ITEM(entry, 1));
    Py_DECREF(entry);
    if (r != NULL) {
        Py_DECREF(r);
        return 0;
    }
    if (!PyErr_ExceptionMatches(PyExc_Exception)) return -1; /* KeyboardInterrupt, SystemExit...: propagate */
    *exc = fetch_exception();
    return 1;
}

/* Write the counts back (a pending exception is kept) and release; return result, or NULL. */
static PyObject *ack_run_close(AckRun *run, PyObject *result) {
    if (run->latency != NULL
        && write_back(run->latency, run->collector, run->buckets, &run->local, run->done, run->total) < 0)
        Py_CLEAR(result);
    Py_XDECREF(run->pending);
    Py_XDECREF(run->latency);
    Py_XDECREF(run->buckets);
    Py_XDECREF(run->total_obj);
    return result;
}

static PyObject *spout_acks(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 6 || !(PyList_CheckExact(args[3]) || PyTuple_CheckExact(args[3])) || !PyLong_CheckExact(args[4])
        || !PyFloat_CheckExact(args[5])) {
        PyErr_SetString(PyExc_TypeError, "spout_acks(tracker, collector, spout, acks: list, start: int, now: float)");
        return NULL;
    }
    PyObject *acks = args[3], *result = NULL, *exc = NULL;
    Py_ssize_t i = PyLong_AsSsize_t(args[4]);
    if (i == -1 && PyErr_Occurred()) return NULL;
    AckRun run;
    if (ack_run_open(&run, args[0], args[1], args[2], PyFloat_AS_DOUBLE(args[5])) < 0) return ack_run_close(&run, NULL);
    for (i = i < 0 ? 0 : i; i + 1 < PySequence_Fast_GET_SIZE(acks); i += 2) {
        uint64_t value;
        if (as_u64(PySequence_Fast_GET_ITEM(acks, i + 1), &value) < 0) return ack_run_close(&run, NULL);
        int rc = ack_run_pair(&run, PySequence_Fast_GET_ITEM(acks, i), value, &exc);
        if (rc < 0) return ack_run_close(&run, NULL);
        if (rc > 0) {
            result = Py_BuildValue("(nN)", i + 2, exc); /* steals exc */
            return ack_run_close(&run, result);
        }
    }
    return ack_run_close(&run, Py_NewRef(Py_None));
}

/* ---- fold_acks_message: a spout's ACKS message folded straight from its bytes ------ */

/* fold_acks_message(data, tracker, collector, spout, now): spout_acks on the pairs of the
 * msgpack bytes of (ACKS, src, [root, value, ...], []) without building the message's
 * ints and list. True when done; (index of the next pair, exception) when ack() raised,
 * so the caller decodes the message and goes on with spout_acks from there; None, with
 * nothing done, for any other message (fails, FRAG, other encodings): the general path.
 * Twin: _hotpath.fold_acks_message (always None). */

#define ACKS_KIND 1 /* _transport.ACKS */

/* a msgpack unsigned int (positive fixint, uint 8/16/32/64), else -1 and in->unsupported */
static int take_uint(In *in, uint64_t *out) {
    if (need(in, 1) < 0) return -1;
    unsigned char c = *in->p;
    if (c < 0x80) {
        in->p++;
        *out = c;
        return 0;
    }
    if (c < 0xcc || c > 0xcf) {
        in->unsupported = 1;
        return -1;
    }
    int width = 1 << (c - 0xcc);
    if (need(in, 1 + width) < 0) return -1;
    in->p++;
    *out = take_be(in, width);
    return 0;
}

/* the number of ints in the acks array of a plain ACKS message without fails (in->p at its
 * first int), or -1 when the message is anything else */
static Py_ssize_t acks_header(In *in) {
    uint64_t kind, src, v;
    if (array_header(in) != 4 || take_uint(in, &kind) < 0 || kind != ACKS_KIND || take_uint(in, &src) < 0) return -1;
    Py_ssize_t n = array_header(in);
    if (n < 0 || need(in, n) < 0) return -1;
    const unsigned char *first = in->p;
    for (Py_ssize_t k = 0; k < n; k++) {
        if (take_uint(in, &v) < 0) return -1;
    }
    if (array_header(in) != 0 || in->p != in->end) return -1; /* fails, or trailing bytes: the general path */
    in->p = first;
    return n;
}

static PyObject *fold_acks_message(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 5 || !PyFloat_CheckExact(args[4])) {
        PyErr_SetString(PyExc_TypeError, "fold_acks_message(data, tracker, collector, spout, now: float)");
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0) return NULL;
    In in = {(const unsigned char *)view.buf, (const unsigned char *)view.buf + view.len, 0};
    Py_ssize_t n = acks_header(&in);
    if (n < 0) {
        PyBuffer_Release(&view);
        Py_RETURN_NONE;
    }
    PyObject *result = NULL, *exc = NULL;
    AckRun run;
    if (ack_run_open(&run, args[1], args[2], args[3], PyFloat_AS_DOUBLE(args[4])) == 0) {
        result = Py_NewRef(Py_True);
        for (Py_ssize_t k = 0; k + 1 < n; k += 2) {
            uint64_t root, value;
            take_uint(&in, &root); /* checked by acks_header */
            take_uint(&in, &value);
            PyObject *key = PyLong_FromUnsignedLongLong(root);
            int rc = key == NULL ? -1 : ack_run_pair(&run, key, value, &exc);
            Py_XDECREF(key);
            if (rc != 0) {
                Py_SETREF(result, rc < 0 ? NULL : Py_BuildValue("(nN)", k + 2, exc)); /* steals exc */
                break;
            }
        }
    }
    PyBuffer_Release(&view);
    return ack_run_close(&run, result);
}

/* ---- spout_burst: the loop of TaskHost._spout_burst ------------------------------- */

/* spout_burst(target, method, collector, emit, pending, count, limit): up to count times,
 * call target.<method>() (looked up per call, as Spout._squall_next_tuple looks up
 * next_tuple), or target() when method is None; stop after a call that emitted nothing
 * (collector.emit_calls unchanged: read from emit itself when it is a SpoutEmit, which
 * counts the same calls), or left the collector blocked, or brought len(pending) to limit
 * (None: no limit). An Exception from the call stops the loop: the result is (calls left,
 * the exception, whether that call emitted), so the caller applies its error policy and
 * the same checks, and may go on; else None. Twin: _hotpath.spout_burst. */

static PyObject *s_blocked;

/* how many emit calls so far: the SpoutEmit's own count, else collector.emit_calls; -1 on error */
static Py_ssize_t emit_count(PyObject *collector, PyObject *emit) {
    if (Py_IS_TYPE(emit, &SpoutEmitType)) return ((BoltEmit *)emit)->calls;
    PyObject *calls = PyObject_GetAttr(collector, s_emit_calls);
    if (calls == NULL) return -1;
    Py_ssize_t n = PyLong_AsSsize_t(calls);
    Py_DECREF(calls);
    return n;
}

/* 1 when the burst stops after a call that emitted (or not), 0 when not, -1 on error */
static int burst_stops(PyObject *collector, PyObject *pending, int emitted, Py_ssize_t limit) {
    if (!emitted) return 1;
    PyObject *blocked = fast_attr(collector, s_blocked); /* a plain instance attribute of Collector */
    if (blocked == NULL) return -1;
    int stop = PyObject_IsTrue(blocked);
    Py_DECREF(blocked);
    if (stop != 0) return stop;
    return limit >= 0 && PyDict_GET_SIZE(pending) >= limit;
}

static PyObject *spout_burst(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 7 || !(args[1] == Py_None || PyUnicode_CheckExact(args[1])) || !PyDict_CheckExact(args[4])
        || !PyLong_CheckExact(args[5]) || !(args[6] == Py_None || PyLong_CheckExact(args[6]))) {
        PyErr_SetString(PyExc_TypeError, "spout_burst(target, method: str | None, collector, emit, pending: dict, "
                                         "count: int, limit: int | None)");
        return NULL;
    }
    PyObject *target = args[0], *method = args[1], *collector = args[2], *emit = args[3], *pending = args[4];
    Py_ssize_t left = PyLong_AsSsize_t(args[5]), limit = args[6] == Py_None ? -1 : PyLong_AsSsize_t(args[6]);
    if ((left == -1 || limit == -1) && PyErr_Occurred()) return NULL;
    while (left > 0) {
        Py_ssize_t before = emit_count(collector, emit);
        if (before == -1 && PyErr_Occurred()) return NULL;
        PyObject *r = method == Py_None ? PyObject_CallNoArgs(target) : PyObject_CallMethodNoArgs(target, method);
        left--;
        if (r == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_Exception)) return NULL; /* KeyboardInterrupt, SystemExit...: propagate */
            PyObject *exc_value = fetch_exception();
            Py_ssize_t after = emit_count(collector, emit);
            if (after == -1 && PyErr_Occurred()) {
                Py_DECREF(exc_value);
                return NULL;
            }
            return Py_BuildValue("(nNO)", left, exc_value, after != before ? Py_True : Py_False); /* steals exc_value */
        }
        Py_DECREF(r);
        Py_ssize_t after = emit_count(collector, emit);
        if (after == -1 && PyErr_Occurred()) return NULL;
        int stop = burst_stops(collector, pending, after != before, limit);
        if (stop < 0) return NULL;
        if (stop) break;
    }
    Py_RETURN_NONE;
}

/* ---- SpoutAutoEmit: Spout.emit's common call without a Python frame -------------- */

/* SpoutAutoEmit(component, host_emit, fallback, stream): emit(values), emit(values, x) and
 * emit(values, tup_id=x), with one exact list of the default stream's size, are
 * host_emit(stream, values, (), x or None, None, False): what Spout.emit does for those
 * calls. Every other call goes to fallback (Spout.emit itself), so no rule lives only here. */
typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *component, *host_emit, *fallback, *stream, *empty;
    Py_ssize_t size; /* component._squall_default_size once read as an int (set by _squall_prepare), else -1 */
} SpoutAutoEmit;

static PyObject *s_tup_id;

/* the tup_id of a common call (borrowed), or NULL when the call is not one */
static PyObject *common_tup_id(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    if (kwnames == NULL) return nargs == 1 ? Py_None : nargs == 2 ? args[1] : NULL;
    if (nargs != 1 || PyTuple_GET_SIZE(kwnames) != 1) return NULL;
    PyObject *name = PyTuple_GET_ITEM(kwnames, 0); /* keyword names are exact str, usually interned */
    return name == s_tup_id || PyUnicode_Compare(name, s_tup_id) == 0 ? args[1] : NULL;
}

static PyObject *SpoutAutoEmit_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    SpoutAutoEmit *self = (SpoutAutoEmit *)callable;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    PyObject *tup_id = nargs >= 1 && PyList_CheckExact(args[0]) ? common_tup_id(args, nargs, kwnames) : NULL;
    if (tup_id == NULL) return PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
    if (self->size < 0) {
        PyObject *size = PyObject_GetAttr(self->component, s_default_size);
        if (size == NULL) return NULL;
        Py_ssize_t known = PyLong_CheckExact(size) ? PyLong_AsSsize_t(size) : -1;
        Py_DECREF(size);
        if (known == -1 && PyErr_Occurred()) return NULL;
        self->size = known;
    }
    if (self->size != PyList_GET_SIZE(args[0])) /* the Python emit converts it or raises the error */
        return PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
    PyObject *call[6] = {self->stream, args[0], self->empty, tup_id, Py_None, Py_False};
    return PyObject_Vectorcall(self->host_emit, call, 6, NULL);
}

static int SpoutAutoEmit_init(SpoutAutoEmit *self, PyObject *args, PyObject *kwds) {
    PyObject *component, *host_emit, *fallback, *stream;
    static char *kwlist[] = {"component", "host_emit", "fallback", "stream", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOU", kwlist, &component, &host_emit, &fallback, &stream))
        return -1;
    Py_XSETREF(self->component, Py_NewRef(component));
    Py_XSETREF(self->host_emit, Py_NewRef(host_emit));
    Py_XSETREF(self->fallback, Py_NewRef(fallback));
    Py_XSETREF(self->stream, Py_NewRef(stream));
    Py_XSETREF(self->empty, PyTuple_New(0));
    if (self->empty == NULL) return -1;
    self->size = -1;
    self->vectorcall = SpoutAutoEmit_vectorcall;
    return 0;
}

static int SpoutAutoEmit_traverse(SpoutAutoEmit *self, visitproc visit, void *arg) {
    Py_VISIT(self->component);
    Py_VISIT(self->host_emit);
    Py_VISIT(self->fallback);
    Py_VISIT(self->stream);
    Py_VISIT(self->empty);
    return 0;
}

static int SpoutAutoEmit_clear(SpoutAutoEmit *self) {
    Py_CLEAR(self->component);
    Py_CLEAR(self->host_emit);
    Py_CLEAR(self->fallback);
    Py_CLEAR(self->stream);
    Py_CLEAR(self->empty);
    return 0;
}

static void SpoutAutoEmit_dealloc(SpoutAutoEmit *self) {
    PyObject_GC_UnTrack(self);
    SpoutAutoEmit_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *SpoutAutoEmit_call_unready(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    PyErr_SetString(PyExc_TypeError, "SpoutAutoEmit(component, host_emit, fallback, stream) was not initialised");
    return NULL;
}

static PyObject *SpoutAutoEmit_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    SpoutAutoEmit *self = (SpoutAutoEmit *)PyType_GenericNew(type, args, kwds);
    if (self != NULL) self->vectorcall = SpoutAutoEmit_call_unready;
    return (PyObject *)self;
}

static PyTypeObject SpoutAutoEmitType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "squall.engine._speedups.SpoutAutoEmit",
    .tp_basicsize = sizeof(SpoutAutoEmit),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "Spout.emit(values, tup_id=x) of one component: the common call in C, every other call to Spout.emit.",
    .tp_new = SpoutAutoEmit_new,
    .tp_init = (initproc)SpoutAutoEmit_init,
    .tp_dealloc = (destructor)SpoutAutoEmit_dealloc,
    .tp_traverse = (traverseproc)SpoutAutoEmit_traverse,
    .tp_clear = (inquiry)SpoutAutoEmit_clear,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(SpoutAutoEmit, vectorcall),
};

/* ---- dispatch_batch: the fused loop of Bolt._squall_on_tuples ------------------- */

/* dispatch_batch(bolt, tuples, on_error, settled, tuple_class) is the fused loop of
 * squall/api/_bolt.py's Bolt._squall_on_tuples, from "process, host = self.process,
 * self._host" to its last "on_error(exc, tup)", step by step: the same attributes of
 * the bolt and its host read and written in the same order, the same calls. That
 * Python loop stays the one definition (each function below names the lines it
 * mirrors); tests/engine/test_dispatch_twin.py runs both on the same bolts and
 * compares every host call. TaskHost._run_tuples calls this only when the bolt's
 * class overrides neither _squall_on_tuples nor _squall_on_tuple. settled is
 * squall.api._bolt._SETTLED; tuple_class is squall.api.Tuple, whose id, component
 * and stream are read by index (any other object by attribute). Each "except" or
 * "finally" block runs its code with the exception set as the handled one, as the
 * interpreter's PUSH_EXC_INFO does, so an exception raised there gets the same
 * __context__ as in Python. Tracebacks have no frame for the loop itself. */

static PyObject *s_process, *s_host, *s_ack, *s_fail, *s_ack_many, *s_auto_anchor, *s_auto_fail, *s_auto_ack,
    *s_open, *s_current, *s_on_tuple, *s_end_held, *s_after, *s_stream, *s_component, *s_id, *s_add,
    *s_tick_stream, *s_tick_component;

typedef struct {
    PyObject *bolt, *on_error, *settled, *tuple_class; /* borrowed: the arguments */
    PyObject *process, *host, *ack, *fail, *ack_many, *held, *done, *thread; /* owned; thread is an int or None */
    Py_ssize_t anchors_at, current_at; /* offsets of the slots _squall_anchors, _squall_current; 0: use setattr */
    int auto_fail;
} Batch;

/* the pending exception, normalised, its traceback attached (new ref); clears it */
static PyObject *take_error(void) {
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != NULL) {
        PyException_SetTraceback(value, tb);
        Py_DECREF(tb);
    }
    Py_DECREF(type);
    return value;
}

/* raise exc again, as a bare "raise" does (steals the reference) */
static void give_error(PyObject *exc) {
    PyErr_Restore(Py_NewRef((PyObject *)Py_TYPE(exc)), exc, PyException_GetTraceback(exc));
}

/* enter an "except"/"finally" block of exc: exc is the handled exception (sys.exception())
 * until handling_end; returns what was handled before (owned by the caller until then) */
static PyObject *handling_begin(PyObject *exc) {
    _PyErr_StackItem *item = PyThreadState_Get()->exc_info;
    PyObject *before = item->exc_value;
    item->exc_value = Py_NewRef(exc);
    return before;
}

static void handling_end(PyObject *before) {
    Py_XSETREF(PyThreadState_Get()->exc_info->exc_value, before);
}

/* "except Exception as exc: func(exc, tup)" and the like: func(*args) with exc handled */
static PyObject *call_handling(PyObject *exc, PyObject *func, PyObject *const *args, Py_ssize_t n) {
    PyObject *before = handling_begin(exc);
    PyObject *result = PyObject_Vectorcall(func, args, n, NULL);
    handling_end(before);
    return result;
}

/* "finally: obj.name = value": -1 only when the assignment raised (its exception replaces
 * any pending one); otherwise a pending exception stays pending */
static int set_finally(PyObject *obj, PyObject *name, PyObject *value) {
    if (!PyErr_Occurred()) return PyObject_SetAttr(obj, name, value);
    PyObject *exc = take_error();
    PyObject *before = handling_begin(exc);
    int rc = PyObject_SetAttr(obj, name, value);
    handling_end(before);
    if (rc < 0) Py_DECREF(exc);
    else give_error(exc);
    return rc;
}

/* getattr(obj, name, None) as NULL; -1 on an error other than AttributeError */
static int optional_attr(PyObject *obj, PyObject *name, PyObject **out) {
    *out = PyObject_GetAttr(obj, name);
    if (*out != NULL || !PyErr_ExceptionMatches(PyExc_AttributeError)) return *out != NULL ? 0 : -1;
    PyErr_Clear();
    return 0;
}

/* bool(a == b), exact str compared directly; -1 on error */
static int equals(PyObject *a, PyObject *b) {
    if (PyUnicode_CheckExact(a) && PyUnicode_CheckExact(b)) {
        if (a == b) return 1;
        if (PyUnicode_GET_LENGTH(a) != PyUnicode_GET_LENGTH(b)) return 0;
        return PyUnicode_Compare(a, b) == 0; /* two exact str: cannot fail */
    }
    PyObject *result = PyObject_RichCompare(a, b, Py_EQ);
    if (result == NULL) return -1;
    int truth = PyObject_IsTrue(result);
    Py_DECREF(result);
    return truth;
}

/* tup.<name> (new ref): by index on an exact tuple_class, whose fields are (id, component, stream, ...) */
static PyObject *field(Batch *b, PyObject *tup, Py_ssize_t index, PyObject *name) {
    if ((PyObject *)Py_TYPE(tup) == b->tuple_class && PyTuple_GET_SIZE(tup) > index)
        return Py_NewRef(PyTuple_GET_ITEM(tup, index));
    return PyObject_GetAttr(tup, name);
}

/* "if tup.stream == tick_stream and tup.component == TICK_COMPONENT:"; -1 on error */
static int is_tick(Batch *b, PyObject *tup) {
    PyObject *stream = field(b, tup, 2, s_stream);
    if (stream == NULL) return -1;
    int tick = equals(stream, s_tick_stream);
    Py_DECREF(stream);
    if (tick <= 0) return tick;
    PyObject *component = field(b, tup, 1, s_component);
    if (component == NULL) return -1;
    tick = equals(component, s_tick_component);
    Py_DECREF(component);
    return tick;
}

/* "self._squall_anchor_thread = None / try: self._squall_on_tuple(tup) /
 *  finally: self._squall_anchor_thread = thread / continue" */
static int run_tick(Batch *b, PyObject *tup) {
    if (PyObject_SetAttr(b->bolt, s_anchor_thread, Py_None) < 0) return -1;
    PyObject *result = PyObject_CallMethodOneArg(b->bolt, s_on_tuple, tup);
    Py_XDECREF(result);
    if (set_finally(b->bolt, s_anchor_thread, b->thread) < 0) return -1;
    return result == NULL ? -1 : 0;
}

/* "except BaseException: if held is not None: self._squall_end_held(tup_id, fail if
 *  auto_fail else None) / else: self._squall_after(tup_id, fail if auto_fail else None) / raise";
 * always returns -1 (the exception, or the handler's, pending) */
static int process_raised(Batch *b, PyObject *tup_id) {
    PyObject *exc = take_error();
    PyObject *before = handling_begin(exc);
    PyObject *end = PyObject_GetAttr(b->bolt, b->held != NULL ? s_end_held : s_after);
    PyObject *args[2] = {tup_id, b->auto_fail ? b->fail : Py_None};
    PyObject *result = end == NULL ? NULL : PyObject_Vectorcall(end, args, 2, NULL);
    handling_end(before);
    Py_XDECREF(end);
    if (result == NULL) { /* the handler raised: its exception replaces this one */
        Py_DECREF(exc);
        return -1;
    }
    Py_DECREF(result);
    give_error(exc);
    return -1;
}

/* one input: from "tup_id = tup.id" (read by the caller) to "settle(tup_id)" */
static int run_input(Batch *b, PyObject *tup, PyObject *tup_id) {
    if (b->thread != Py_None) { /* "if thread is not None: self._squall_anchors = (tup_id,)" */
        PyObject *anchors = PyTuple_Pack(1, tup_id); /* a new tuple per input: the collector's hot emit keys on it */
        if (anchors == NULL) return -1;
        int rc = set_state(b->bolt, b->anchors_at, s_anchors, anchors);
        Py_DECREF(anchors);
        if (rc < 0) return -1;
    }
    if (b->held != NULL) { /* "held.add(tup_id)" */
        if (PySet_CheckExact(b->held)) {
            if (PySet_Add(b->held, tup_id) < 0) return -1;
        } else {
            PyObject *r = PyObject_CallMethodOneArg(b->held, s_add, tup_id);
            if (r == NULL) return -1;
            Py_DECREF(r);
        }
    } else if (set_state(b->bolt, b->current_at, s_current, tup_id) < 0) { /* "self._squall_current = tup_id" */
        return -1;
    }
    PyObject *call[2] = {NULL, tup}; /* call[0]: room for a bound method's self */
    PyObject *result = PyObject_Vectorcall(b->process, call + 1, 1 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL); /* "process(tup)" */
    if (result == NULL) return process_raised(b, tup_id);
    Py_DECREF(result);
    if (b->held != NULL) return 0; /* "if held is not None or self._squall_current is settled: continue" */
    PyObject *current = get_state(b->bolt, b->current_at, s_current);
    if (current == NULL) return -1;
    Py_DECREF(current); /* only its identity is needed; settled is alive (an argument) */
    if (current == b->settled) return 0;
    if (b->done != NULL) return PyList_Append(b->done, tup_id); /* "settle(tup_id)": done.append */
    result = PyObject_Vectorcall(b->ack, &tup_id, 1, NULL); /* or host.ack */
    Py_XDECREF(result);
    return result == NULL ? -1 : 0;
}

/* the body of "for tup in tuples: try: ..." up to its "except Exception" */
static int run_one(Batch *b, PyObject *tup) {
    int tick = is_tick(b, tup);
    if (tick < 0) return -1;
    if (tick) return run_tick(b, tup);
    PyObject *tup_id = field(b, tup, 0, s_id);
    if (tup_id == NULL) return -1;
    int rc = run_input(b, tup, tup_id);
    Py_DECREF(tup_id);
    return rc;
}

/* "except Exception as exc: on_error(exc, tup)": 0 when handled, -1 when an exception propagates */
static int to_on_error(Batch *b, PyObject *tup) {
    if (!PyErr_ExceptionMatches(PyExc_Exception)) return -1;
    PyObject *exc = take_error();
    PyObject *args[2] = {exc, tup};
    PyObject *result = call_handling(exc, b->on_error, args, 2);
    Py_DECREF(exc);
    Py_XDECREF(result);
    return result == NULL ? -1 : 0;
}

/* "try: for tup in tuples: ... / except BaseException: if done: ack_many(done) / raise";
 * returns the last tuple (new ref; None when there was none), or NULL with an exception pending */
static PyObject *run_all(Batch *b, PyObject *tuples) {
    PyObject *tup = Py_NewRef(Py_None), *it = PyObject_GetIter(tuples), *next;
    if (it != NULL) {
        while ((next = PyIter_Next(it)) != NULL) {
            Py_SETREF(tup, next);
            if (run_one(b, tup) < 0 && to_on_error(b, tup) < 0) break;
        }
        Py_DECREF(it);
    }
    if (!PyErr_Occurred()) return tup;
    Py_DECREF(tup);
    if (b->done != NULL && PyList_GET_SIZE(b->done)) { /* what completed stays acked when the loop stops */
        PyObject *exc = take_error();
        PyObject *result = call_handling(exc, b->ack_many, &b->done, 1);
        if (result == NULL) {
            Py_DECREF(exc); /* ack_many's own exception replaces it */
        } else {
            Py_DECREF(result);
            give_error(exc);
        }
    }
    return NULL;
}

static int flag(PyObject *obj, PyObject *name) {
    PyObject *value = PyObject_GetAttr(obj, name);
    if (value == NULL) return -1;
    int truth = PyObject_IsTrue(value);
    Py_DECREF(value);
    return truth;
}

/* the lines before "self._squall_anchor_thread = thread", in their order */
static int batch_start(Batch *b) {
    if ((b->process = PyObject_GetAttr(b->bolt, s_process)) == NULL
        || (b->host = PyObject_GetAttr(b->bolt, s_host)) == NULL
        || (b->ack = PyObject_GetAttr(b->host, s_ack)) == NULL
        || (b->fail = PyObject_GetAttr(b->host, s_fail)) == NULL)
        return -1;
    int auto_anchor = flag(b->bolt, s_auto_anchor);
    int auto_ack = auto_anchor < 0 ? -1 : flag(b->bolt, s_auto_ack);
    b->auto_fail = auto_ack < 0 ? -1 : flag(b->bolt, s_auto_fail);
    if (b->auto_fail < 0) return -1;
    if (auto_ack) { /* "ack_many = getattr(host, "ack_many", None) if auto_ack else None" */
        if (optional_attr(b->host, s_ack_many, &b->ack_many) < 0) return -1;
        if (b->ack_many == Py_None) Py_CLEAR(b->ack_many);
    } else { /* "held = None if auto_ack else self._squall_open" */
        if ((b->held = PyObject_GetAttr(b->bolt, s_open)) == NULL) return -1;
        if (b->held == Py_None) Py_CLEAR(b->held);
    }
    if (b->ack_many != NULL && (b->done = PyList_New(0)) == NULL) return -1;
    /* "thread = _get_ident() if auto_anchor else None": threading.get_ident() is this */
    b->thread = auto_anchor ? PyLong_FromUnsignedLong(PyThread_get_thread_ident()) : Py_NewRef(Py_None);
    b->anchors_at = slot_offset(b->bolt, s_anchors);
    b->current_at = slot_offset(b->bolt, s_current);
    return b->thread == NULL ? -1 : 0;
}

static PyObject *dispatch_batch(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 5 || !PyType_Check(args[4])) {
        PyErr_SetString(PyExc_TypeError, "dispatch_batch(bolt, tuples, on_error, settled, tuple_class: type)");
        return NULL;
    }
    Batch b = {.bolt = args[0], .on_error = args[2], .settled = args[3], .tuple_class = args[4]};
    PyObject *tuples = args[1], *last = NULL, *result = NULL;
    if (batch_start(&b) < 0 || PyObject_SetAttr(b.bolt, s_anchor_thread, b.thread) < 0) goto done;
    last = run_all(&b, tuples);
    /* "finally: self._squall_anchor_thread = None / self._squall_current = settled" */
    if (set_finally(b.bolt, s_anchor_thread, Py_None) < 0 || set_finally(b.bolt, s_current, b.settled) < 0
        || last == NULL)
        goto done;
    if (b.done != NULL && PyList_GET_SIZE(b.done)) { /* "if done: try: ack_many(done) / except Exception ..." */
        PyObject *r = PyObject_Vectorcall(b.ack_many, &b.done, 1, NULL);
        Py_XDECREF(r);
        if (r == NULL && to_on_error(&b, last) < 0) goto done;
    }
    result = Py_NewRef(Py_None);
done:
    Py_XDECREF(last);
    Py_XDECREF(b.process);
    Py_XDECREF(b.host);
    Py_XDECREF(b.ack);
    Py_XDECREF(b.fail);
    Py_XDECREF(b.ack_many);
    Py_XDECREF(b.held);
    Py_XDECREF(b.done);
    Py_XDECREF(b.thread);
    return result;
}

static PyMethodDef methods[] = {
    {"xor_acks", (PyCFunction)(void (*)(void))xor_acks, METH_FASTCALL,
     "xor_acks(inputs, acks, ids): pop each id's input entry and XOR it into acks; return the first unknown id or None."},
    {"pack_batch", (PyCFunction)(void (*)(void))pack_batch, METH_FASTCALL,
     "pack_batch(kind, src, records): the msgpack bytes of (kind, src, records), or None when msgpack must pack it."},
    {"decode_batch", (PyCFunction)(void (*)(void))decode_batch, METH_FASTCALL,
     "decode_batch(data, tables, inputs, first, tuple_class): (src, Tuples) of a DATA batch, or None."},
    {"dispatch_batch", (PyCFunction)(void (*)(void))dispatch_batch, METH_FASTCALL,
     "dispatch_batch(bolt, tuples, on_error, settled, tuple_class): Bolt._squall_on_tuples's fused loop."},
    {"uniform_tuples", (PyCFunction)(void (*)(void))uniform_tuples, METH_FASTCALL,
     "uniform_tuples(...): the Tuples of a one-stream batch, all tracked (inputs registered) or none, else None."},
    {"spout_acks", (PyCFunction)(void (*)(void))spout_acks, METH_FASTCALL,
     "spout_acks(tracker, collector, spout, acks, start, now): fold an ACKS message's pairs into the pending trees; "
     "(next index, exception) when ack() raised, else None."},
    {"fold_acks_message", (PyCFunction)(void (*)(void))fold_acks_message, METH_FASTCALL,
     "fold_acks_message(data, tracker, collector, spout, now): spout_acks on a plain ACKS message's bytes; "
     "True, (next index, exception) when ack() raised, or None (the general path)."},
    {"spout_burst", (PyCFunction)(void (*)(void))spout_burst, METH_FASTCALL,
     "spout_burst(target, method, collector, emit, pending, count, limit): call next_tuple up to count times; "
     "(calls left, exception, whether it emitted) when it raised, else None."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "squall.engine._speedups",
    "The embedded engine's per-tuple hot path in C (pure-Python twin: squall.engine._hotpath).", -1, methods,
};

PyMODINIT_FUNC PyInit__speedups(void) {
#define INTERN(var, text) if ((var = PyUnicode_InternFromString(text)) == NULL) return NULL
    INTERN(s_hot, "_hot");
    INTERN(s_records, "records");
    INTERN(s_heat, "_heat");
    INTERN(s_inputs, "inputs");
    INTERN(s_slow, "_bolt_emit_slow");
    INTERN(s_new_port, "_new_port");
    INTERN(s_seal, "_seal");
    INTERN(s_wake, "_wake");
    INTERN(s_main_thread, "main_thread");
    INTERN(s_lock, "lock");
    INTERN(s_acquire, "acquire");
    INTERN(s_release, "release");
    INTERN(s_emit_calls, "emit_calls");
    INTERN(s_default_size, "_squall_default_size");
    INTERN(s_anchor_thread, "_squall_anchor_thread");
    INTERN(s_anchors, "_squall_anchors");
    INTERN(s_process, "process");
    INTERN(s_host, "_host");
    INTERN(s_ack, "ack");
    INTERN(s_fail, "fail");
    INTERN(s_ack_many, "ack_many");
    INTERN(s_auto_anchor, "auto_anchor");
    INTERN(s_auto_ack, "auto_ack");
    INTERN(s_auto_fail, "auto_fail");
    INTERN(s_open, "_squall_open");
    INTERN(s_current, "_squall_current");
    INTERN(s_on_tuple, "_squall_on_tuple");
    INTERN(s_end_held, "_squall_end_held");
    INTERN(s_after, "_squall_after");
    INTERN(s_id, "id");
    INTERN(s_component, "component");
    INTERN(s_stream, "stream");
    INTERN(s_add, "add");
    INTERN(s_tick_stream, "__tick"); /* squall.api._tuple.TICK_STREAM */
    INTERN(s_tick_component, "__system"); /* squall.api._tuple.TICK_COMPONENT */
    INTERN(s_pending, "pending");
    INTERN(s_latency, "latency");
    INTERN(s_buckets, "buckets");
    INTERN(s_count, "count");
    INTERN(s_total, "total");
    INTERN(s_acked, "acked");
    INTERN(s_tup_id, "tup_id");
    INTERN(s_blocked, "blocked");
    if ((one = PyLong_FromLong(1)) == NULL) return NULL;
    if ((missing = PyObject_CallNoArgs((PyObject *)&PyBaseObject_Type)) == NULL) return NULL;
#undef INTERN
    if (PyType_Ready(&BoltEmitType) < 0 || PyType_Ready(&SpoutEmitType) < 0 || PyType_Ready(&AutoEmitType) < 0
        || PyType_Ready(&SpoutAutoEmitType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (m == NULL) return NULL;
    Py_INCREF(&BoltEmitType);
    if (PyModule_AddObject(m, "BoltEmit", (PyObject *)&BoltEmitType) < 0) {
        Py_DECREF(&BoltEmitType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&SpoutEmitType);
    if (PyModule_AddObject(m, "SpoutEmit", (PyObject *)&SpoutEmitType) < 0) {
        Py_DECREF(&SpoutEmitType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&AutoEmitType);
    if (PyModule_AddObject(m, "AutoEmit", (PyObject *)&AutoEmitType) < 0) {
        Py_DECREF(&AutoEmitType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&SpoutAutoEmitType);
    if (PyModule_AddObject(m, "SpoutAutoEmit", (PyObject *)&SpoutAutoEmitType) < 0) {
        Py_DECREF(&SpoutAutoEmitType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
