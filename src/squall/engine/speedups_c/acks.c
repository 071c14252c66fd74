/* acks.c: xor_acks, the loop of Collector.ack_many: a batch's auto-acks popped from the
 * input entries and XORed into the acks table, folded per root first.
 * Twin: _hotpath.xor_acks. */
#include "speedups.h"

/* ---- xor_acks: the loop of Collector.ack_many ----------------------------------- */

/* dict[key] = dict.get(key, 0) ^ value */
static int xor_into(PyObject *dict, PyObject *key, uint64_t value) {
    PyObject *old = PyDict_GetItemWithError(dict, key); /* borrowed */
    uint64_t acc = 0;
    if (old == NULL) {
        if (PyErr_Occurred()) return -1;
    } else if (sq_as_u64(old, &acc) < 0) {
        return -1;
    }
    PyObject *now = PyLong_FromUnsignedLongLong(acc ^ value);
    if (now == NULL) return -1;
    int rc = PyDict_SetItem(dict, key, now);
    Py_DECREF(now);
    return rc;
}

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
    if (!sq_small_long(root, &key, &negative) || negative) return xor_into(acks, root, value);
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
    if (sq_as_u64(PySequence_Fast_GET_ITEM(entry, 1), &value) < 0) return -1;
    if (PyLong_CheckExact(roots)) return folds_add(f, acks, roots, value);
    if (!PyList_Check(roots)) {
        PyErr_SetString(PyExc_TypeError, "malformed input entry roots");
        return -1;
    }
    for (Py_ssize_t i = 0; i + 1 < PyList_GET_SIZE(roots); i += 2) {
        uint64_t edge;
        if (sq_as_u64(PyList_GET_ITEM(roots, i + 1), &edge) < 0) return -1;
        if (folds_add(f, acks, PyList_GET_ITEM(roots, i), edge ^ value) < 0) return -1;
    }
    return 0;
}

PyObject *sq_xor_acks(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs) {
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
            entry = _PyDict_Pop(inputs, id, sq_missing); /* inputs.pop(id, missing): one lookup */
            if (entry == NULL) goto error;
            if (entry == sq_missing) Py_CLEAR(entry);
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
