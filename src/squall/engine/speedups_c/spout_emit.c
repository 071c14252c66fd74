/* spout_emit.c: a spout task's emitting side: SpoutEmit (mint the root and the edge, start
 * the tree), SpoutAutoEmit (Spout.emit(values, tup_id=x) without a Python frame) and
 * spout_burst (the loop of next_tuple calls).
 * Twins: _hotpath.SpoutEmit, _hotpath.SpoutAutoEmit, _hotpath.spout_burst. */
#include "speedups.h"

/* ---- SpoutEmit: the spout emit of Collector._spout_emit --------------------------- */

static double monotonic_secs(void) { /* what time.monotonic() reads on Linux */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One tuple to one task: (sidx, values, root, edge), root None when untracked; starts its tree. */
static PyObject *spout_emit_one(BoltEmit *self, PyObject *out, PyObject *values, PyObject *tup_id) {
    PyObject *task = sq_choose_task(out, values), *root = NULL, *edge = NULL, *port = NULL, *records = NULL, *entry = NULL;
    if (task == NULL) return NULL;
    if (tup_id == Py_None) {
        root = Py_NewRef(Py_None);
        edge = PyLong_FromLong(0);
    } else {
        /* the root's low bits name this spout task (bolts send its acks here); + 1: never 0 */
        uint64_t r = (((sq_next_u64(self->rng) >> 18) + 1) << 16) | self->task_id;
        root = PyLong_FromUnsignedLongLong(r);
        edge = PyLong_FromUnsignedLongLong(sq_next_u64(self->rng) | 1);
    }
    if (root == NULL || edge == NULL || (port = sq_port_for(self, task)) == NULL) goto error;
    if ((records = sq_port_records(self, port)) == NULL) goto error;
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
    PyObject *out = kwnames == NULL && PyVectorcall_NARGS(nargsf) == 6 && args[4] == Py_None && sq_only_thread()
        ? sq_hot_out(self, args[0]) : NULL;
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
    int rc = sq_BoltEmit_init(self, head, NULL);
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

static PyMemberDef SpoutEmit_members[] = {
    {"hot_calls", T_PYSSIZET, offsetof(BoltEmit, hot_calls), READONLY,
     "the emit calls run in C (Collector.emit_calls adds them to its own count)"},
    {NULL, 0, 0, 0, NULL},
};

PyTypeObject sq_SpoutEmitType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "squall.engine._speedups.SpoutEmit",
    .tp_basicsize = sizeof(BoltEmit),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "The spout task's emit(stream, values, anchors, tup_id, direct_task, need_task_ids).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)SpoutEmit_init,
    .tp_members = SpoutEmit_members,
    .tp_dealloc = (destructor)sq_BoltEmit_dealloc,
    .tp_traverse = (traverseproc)sq_BoltEmit_traverse,
    .tp_clear = (inquiry)sq_BoltEmit_clear,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(BoltEmit, vectorcall),
};

/* ---- SpoutAutoEmit: Spout.emit's common call without a Python frame -------------- */

/* SpoutAutoEmit(component, host_emit, fallback, stream): emit(values), emit(values, x) and
 * emit(values, tup_id=x), with one exact list of the default stream's size, are
 * host_emit(stream, values, (), x or None, None, False): what Spout.emit does for those
 * calls. Every other call goes to fallback (Spout.emit itself), so no rule lives only here. */
typedef AutoEmit SpoutAutoEmit; /* the layout and life cycle of AutoEmit (speedups.h) */

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
    int fits = sq_auto_emit_fits(self, args[0]);
    if (fits < 0) return NULL;
    if (!fits) /* the Python emit converts it or raises the error */
        return PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
    PyObject *call[6] = {self->stream, args[0], self->empty, tup_id, Py_None, Py_False};
    return PyObject_Vectorcall(self->host_emit, call, 6, NULL);
}

static int SpoutAutoEmit_init(SpoutAutoEmit *self, PyObject *args, PyObject *kwds) {
    return sq_auto_emit_setup(self, args, kwds, SpoutAutoEmit_vectorcall);
}

PyTypeObject sq_SpoutAutoEmitType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "squall.engine._speedups.SpoutAutoEmit",
    .tp_basicsize = sizeof(SpoutAutoEmit),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "Spout.emit(values, tup_id=x) of one component: the common call in C, every other call to Spout.emit.",
    .tp_new = sq_auto_emit_new,
    .tp_init = (initproc)SpoutAutoEmit_init,
    .tp_dealloc = (destructor)sq_auto_emit_dealloc,
    .tp_traverse = (traverseproc)sq_auto_emit_traverse,
    .tp_clear = (inquiry)sq_auto_emit_clear,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(SpoutAutoEmit, vectorcall),
};

/* ---- spout_burst: the loop of TaskHost._spout_burst ------------------------------- */

/* spout_burst(target, method, collector, emit, pending, count, limit): up to count times,
 * call target.<method>() (looked up per call, as Spout._squall_next_tuple looks up
 * next_tuple), or target() when method is None; stop after a call that emitted nothing
 * (collector.emit_calls unchanged: read from emit itself when it is a SpoutEmit, which
 * counts the same calls), or left the collector blocked, or brought len(pending) to limit
 * (None: no limit). An Exception from the call stops the loop: the result is (calls left,
 * the exception, whether that call emitted), so the caller applies its error policy and
 * the same checks, and may go on; else None. Twin: _hotpath.spout_burst. */

/* how many emit calls so far: the SpoutEmit's own count, else collector.emit_calls; -1 on error */
static Py_ssize_t emit_count(PyObject *collector, PyObject *emit) {
    if (Py_IS_TYPE(emit, &sq_SpoutEmitType)) return ((BoltEmit *)emit)->calls;
    PyObject *calls = PyObject_GetAttr(collector, s_emit_calls);
    if (calls == NULL) return -1;
    Py_ssize_t n = PyLong_AsSsize_t(calls);
    Py_DECREF(calls);
    return n;
}

/* 1 when the burst stops after a call that emitted (or not), 0 when not, -1 on error */
static int burst_stops(PyObject *collector, PyObject *pending, int emitted, Py_ssize_t limit) {
    if (!emitted) return 1;
    PyObject *blocked = sq_fast_attr(collector, s_blocked); /* a plain instance attribute of Collector */
    if (blocked == NULL) return -1;
    int stop = PyObject_IsTrue(blocked);
    Py_DECREF(blocked);
    if (stop != 0) return stop;
    return limit >= 0 && PyDict_GET_SIZE(pending) >= limit;
}

PyObject *sq_spout_burst(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs) {
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
            PyObject *exc_value = sq_fetch_exception();
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
