/* codec.c: a DATA batch between records and bytes and Tuples: uniform_tuples (the Tuples
 * of a one-stream batch), pack_batch (msgpack bytes of plain values), decode_batch (bytes
 * straight to Tuples, with a cache of short strings).
 * Twins: _hotpath.uniform_tuples, _hotpath.pack_batch, _hotpath.decode_batch. */
#include "speedups.h"

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

PyObject *sq_uniform_tuples(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs) {
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
    long long v;
    if (sq_small_long(obj, &mag, &negative)) { /* up to 64 bits (every int the engine makes): no C API call */
        if (!negative && mag > (uint64_t)INT64_MAX) { /* a root or edge above int64 */
            if (out_reserve(o, 9) < 0) return -1;
            o->buf[o->len++] = (char)0xcf;
            put_be(o, mag, 8);
            return 0;
        }
        if (negative && mag > (uint64_t)INT64_MAX + 1) return UNSUPPORTED; /* below int64: msgpack refuses it */
        v = negative ? (long long)(0 - mag) : (long long)mag;
    } else {
        v = PyLong_AsLongLongAndOverflow(obj, &overflow);
        if (v == -1 && PyErr_Occurred()) return -1;
    }
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

PyObject *sq_pack_batch(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs) {
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

/* an array header: its length, or -1 (in->unsupported set) */
Py_ssize_t sq_array_header(In *in) {
    if (sq_need(in, 1) < 0) return -1;
    unsigned char c = *in->p++;
    if ((c & 0xf0) == 0x90) return c & 0x0f;
    if (c == 0xdc && sq_need(in, 2) == 0) return (Py_ssize_t)sq_take_be(in, 2);
    if (c == 0xdd && sq_need(in, 4) == 0) return (Py_ssize_t)sq_take_be(in, 4);
    in->unsupported = 1;
    return -1;
}

static PyObject *get_value(In *in, int depth);

static PyObject *get_list(In *in, Py_ssize_t n, int depth) {
    if (sq_need(in, n) < 0) return NULL; /* at least one byte per item */
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
    if (sq_need(in, 2 * n) < 0) return NULL;
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
#define STR_CACHE_SIZE 16384 /* a power of 2: most of a Zipf vocabulary of 10,000 words stays shared */
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
    if (sq_need(in, n) < 0) return NULL;
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
    if (depth > MAX_DEPTH || sq_need(in, 1) < 0) {
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
    if (width < 0 || sq_need(in, width) < 0) {
        in->unsupported = 1;
        return NULL;
    }
    uint64_t v = sq_take_be(in, width);
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
    uint64_t bits = sq_take_be(in, 8);
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
    Py_ssize_t n = sq_array_header(in);
    if (n < 0 || sq_need(in, n) < 0) goto done;
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

PyObject *sq_decode_batch(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs) {
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
    if (sq_array_header(&in) != 3) goto finish;
    if ((kind = get_value(&in, 0)) == NULL || !PyLong_CheckExact(kind) || PyLong_AsLong(kind) != 0) goto finish; /* DATA */
    if ((src = get_value(&in, 0)) == NULL || !PyLong_CheckExact(src)) goto finish;
    PyObject *table = PyDict_GetItemWithError(tables, src); /* (borrowed) known once a batch of src went the general way */
    Py_ssize_t slots = sq_array_header(&in);
    if (table == NULL || !PyList_Check(table) || slots < 0 || slots % RECORD_WIDTH) goto finish;
    count = slots / RECORD_WIDTH;
    if (sq_need(&in, slots) < 0 || (tuples = PyList_New(count)) == NULL) goto finish;
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
