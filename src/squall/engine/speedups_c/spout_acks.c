/* spout_acks.c: a spout task's ACKS folded into its pending trees: spout_acks (the pairs of
 * a decoded message) and fold_acks_message (the same, straight from the message's bytes).
 * Twins: _hotpath.spout_acks, _hotpath.fold_acks_message. */
#include "speedups.h"

/* ---- spout_acks: a spout task's ACKS message folded into its pending trees ------- */

/* The loop of TaskHost._process_acks (twin: _hotpath.spout_acks). For each (root, value)
 * pair of acks from index start on: XOR value into pending[root][0] (roots no longer
 * pending are skipped: failed, timed out, or a previous incarnation's); a tree whose XOR
 * reaches 0 is removed, its latency recorded (LatencyStats.add's buckets), counted in
 * collector.acked, and spout.ack(msg id) called. An Exception from ack() stops the loop:
 * the result is (index of the next pair, the exception), so the caller applies its
 * error policy and may go on from there; else None. The counters are written back on
 * every exit, a BaseException's too. */

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
    if (sq_as_u64(PyList_GET_ITEM(entry, 0), &xor) < 0) return -1;
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
PyObject *sq_fetch_exception(void) {
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
    *exc = sq_fetch_exception();
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

PyObject *sq_spout_acks(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs) {
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
        if (sq_as_u64(PySequence_Fast_GET_ITEM(acks, i + 1), &value) < 0) return ack_run_close(&run, NULL);
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
    if (sq_need(in, 1) < 0) return -1;
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
    if (sq_need(in, 1 + width) < 0) return -1;
    in->p++;
    *out = sq_take_be(in, width);
    return 0;
}

/* the number of ints in the acks array of a plain ACKS message without fails (in->p at its
 * first int), or -1 when the message is anything else */
static Py_ssize_t acks_header(In *in) {
    uint64_t kind, src, v;
    if (sq_array_header(in) != 4 || take_uint(in, &kind) < 0 || kind != ACKS_KIND || take_uint(in, &src) < 0) return -1;
    Py_ssize_t n = sq_array_header(in);
    if (n < 0 || sq_need(in, n) < 0) return -1;
    const unsigned char *first = in->p;
    for (Py_ssize_t k = 0; k < n; k++) {
        if (take_uint(in, &v) < 0) return -1;
    }
    if (sq_array_header(in) != 0 || in->p != in->end) return -1; /* fails, or trailing bytes: the general path */
    in->p = first;
    return n;
}

PyObject *sq_fold_acks_message(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 5 || !PyFloat_CheckExact(args[4])) {
        PyErr_SetString(PyExc_TypeError, "fold_acks_message(data, tracker, collector, spout, now: float)");
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0) return NULL;
    In in = {(const unsigned char *)view.buf, (const unsigned char *)view.buf + view.len, 0, NULL, 0};
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
            uint64_t root = 0, value = 0; /* set by take_uint: initialised for -O3's -Wmaybe-uninitialized */
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
