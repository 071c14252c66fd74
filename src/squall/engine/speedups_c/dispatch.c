/* dispatch.c: dispatch_batch, a bolt's batch through the fused loop of
 * Bolt._squall_on_tuples.
 * Twin: _hotpath.dispatch_batch (which runs that Python loop). */
#include "speedups.h"

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

typedef struct {
    PyObject *bolt, *on_error, *settled, *tuple_class; /* borrowed: the arguments */
    PyObject *process, *host, *ack, *fail, *ack_many, *held, *done, *thread; /* owned; thread is an int or None */
    Py_ssize_t anchors_at, current_at; /* offsets of the slots _squall_anchors, _squall_current; 0: use setattr */
    int auto_fail;
} Batch;

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
    PyObject *exc = sq_fetch_exception();
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
    PyObject *exc = sq_fetch_exception();
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
        int rc = sq_set_state(b->bolt, b->anchors_at, s_anchors, anchors);
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
    } else if (sq_set_state(b->bolt, b->current_at, s_current, tup_id) < 0) { /* "self._squall_current = tup_id" */
        return -1;
    }
    PyObject *call[2] = {NULL, tup}; /* call[0]: room for a bound method's self */
    PyObject *result = PyObject_Vectorcall(b->process, call + 1, 1 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL); /* "process(tup)" */
    if (result == NULL) return process_raised(b, tup_id);
    Py_DECREF(result);
    if (b->held != NULL) return 0; /* "if held is not None or self._squall_current is settled: continue" */
    PyObject *current = sq_get_state(b->bolt, b->current_at, s_current);
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
    PyObject *exc = sq_fetch_exception();
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
        PyObject *exc = sq_fetch_exception();
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
    b->anchors_at = sq_slot_offset(b->bolt, s_anchors);
    b->current_at = sq_slot_offset(b->bolt, s_current);
    return b->thread == NULL ? -1 : 0;
}

PyObject *sq_dispatch_batch(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs) {
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
