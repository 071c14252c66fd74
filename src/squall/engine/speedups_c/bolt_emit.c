/* bolt_emit.c: a bolt task's emit: BoltEmit (route, mint an edge, XOR it into the anchor's
 * input entry, append the record; and its many()), and AutoEmit (Bolt.emit(values) without
 * a Python frame). Also the BoltEmit parts SpoutEmit shares (spout_emit.c).
 * Twins: _hotpath.BoltEmit, _hotpath.AutoEmit. */
#include "speedups.h"

/* ---- BoltEmit: the bolt emit of Collector._compile_bolt_emit ---------------------- */

/* port_list[task] or collector._new_port(task): a new reference */
PyObject *sq_port_for(BoltEmit *self, PyObject *task) {
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
PyObject *sq_port_records(BoltEmit *self, PyObject *port) {
    if ((PyObject *)Py_TYPE(port) != self->port_type) {
        Py_XSETREF(self->port_type, Py_NewRef((PyObject *)Py_TYPE(port)));
        self->records_offset = sq_slot_offset(port, s_records);
    }
    return sq_get_state(port, self->records_offset, s_records);
}

/* CRC-32 (IEEE 802.3, zlib.crc32's), one byte at a time: the fields grouping's hash of a str key */
static uint32_t crc_table[256];

static uint32_t crc32_of(const unsigned char *data, Py_ssize_t n) {
    if (crc_table[1] == 0) { /* first use (the GIL is held): fill the table */
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            crc_table[i] = c;
        }
    }
    uint32_t crc = 0xFFFFFFFFu;
    for (Py_ssize_t i = 0; i < n; i++) crc = crc_table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

/* The receiving task of a hot stream (new ref). A str key of a fields grouping is hashed
 * here by key_hash's rule, tasks[crc32(key's UTF-8) % len(tasks)], without the hash and
 * lookup of a dict; anything else (other keys, lone surrogates, other groupings) goes to
 * the chooser. */
PyObject *sq_choose_task(PyObject *out, PyObject *values) {
    PyObject *choose = PyTuple_GET_ITEM(out, 1);
    Py_ssize_t position = PyLong_AsSsize_t(PyTuple_GET_ITEM(out, 2));
    PyObject *tasks = PyTuple_GET_ITEM(out, 4);
    if (position >= 0 && PyList_CheckExact(values) && position < PyList_GET_SIZE(values) && PyTuple_CheckExact(tasks)
        && PyTuple_GET_SIZE(tasks) > 0) {
        PyObject *key = PyList_GET_ITEM(values, position);
        if (PyUnicode_CheckExact(key)) {
            Py_ssize_t n;
            const char *data = PyUnicode_AsUTF8AndSize(key, &n);
            if (data != NULL)
                return Py_NewRef(PyTuple_GET_ITEM(tasks, crc32_of((const unsigned char *)data, n) % PyTuple_GET_SIZE(tasks)));
            PyErr_Clear(); /* lone surrogates: the chooser encodes them with surrogatepass */
        }
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
    PyObject *task = sq_choose_task(out, values);
    if (task == NULL) return NULL;
    uint64_t value, edge = sq_next_u64(self->rng) | 1; /* | 1: an edge is never 0, so it always changes the XOR */
    PyObject *edge_obj = NULL, *value_obj = NULL, *port = NULL, *records = NULL;
    int untracked = PyList_GET_ITEM(entry, 0) == Py_None; /* anchored to an untracked input: untracked too */
    if (untracked) {
        edge_obj = PyLong_FromLong(0);
    } else {
        if (sq_as_u64(PyList_GET_ITEM(entry, 1), &value) < 0) goto error;
        if ((edge_obj = PyLong_FromUnsignedLongLong(edge)) == NULL) goto error;
        if ((value_obj = PyLong_FromUnsignedLongLong(value ^ edge)) == NULL) goto error;
    }
    if ((port = sq_port_for(self, task)) == NULL) goto error;
    if ((records = sq_port_records(self, port)) == NULL) goto error;
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
PyObject *sq_hot_out(BoltEmit *self, PyObject *stream) {
    if (stream == self->last_stream) return self->last_out;
    PyObject *out = PyDict_GetItemWithError(self->hot_outs, stream);
    if (out == NULL || !PyTuple_Check(out) || PyTuple_GET_SIZE(out) != 5) {
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
    PyObject *inputs = sq_fast_attr(self->collector, s_inputs);
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
    PyObject *hot = sq_fast_attr(self->collector, s_hot);
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
                     && PyList_GET_SIZE(entry) == 2) ? sq_hot_out(self, stream) : NULL;
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
int sq_only_thread(void) {
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
    int locking = !sq_only_thread();
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
    int locking = !sq_only_thread();
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

int sq_BoltEmit_init(BoltEmit *self, PyObject *args, PyObject *kwds) {
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

int sq_BoltEmit_traverse(BoltEmit *self, visitproc visit, void *arg) {
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

int sq_BoltEmit_clear(BoltEmit *self) {
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

void sq_BoltEmit_dealloc(BoltEmit *self) {
    PyObject_GC_UnTrack(self);
    sq_BoltEmit_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}


PyTypeObject sq_BoltEmitType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "squall.engine._speedups.BoltEmit",
    .tp_basicsize = sizeof(BoltEmit),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "The bolt task's emit(stream, values, anchors, tup_id, direct_task, need_task_ids).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)sq_BoltEmit_init,
    .tp_methods = BoltEmit_methods,
    .tp_dealloc = (destructor)sq_BoltEmit_dealloc,
    .tp_traverse = (traverseproc)sq_BoltEmit_traverse,
    .tp_clear = (inquiry)sq_BoltEmit_clear,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(BoltEmit, vectorcall),
};

/* ---- AutoEmit: Bolt.emit's common call without a Python frame -------------------- */

/* AutoEmit(component, host_emit, fallback, stream): emit(values) with one exact list of
 * the default stream's size is host_emit(stream, values, anchors, None, None, False), the
 * anchors being component._squall_anchors when component._squall_anchor_thread is this
 * thread, else (): what Bolt.emit does for that call. Every other call goes to fallback
 * (Bolt.emit itself), so no rule lives only here. */

/* the auto anchors of a call on this thread (new ref), () elsewhere, NULL on error */
static PyObject *auto_anchors(AutoEmit *self) {
    PyObject *component = self->component;
    if ((PyObject *)Py_TYPE(component) != self->component_type) {
        Py_XSETREF(self->component_type, Py_NewRef((PyObject *)Py_TYPE(component)));
        self->thread_at = sq_slot_offset(component, s_anchor_thread);
        self->anchors_at = sq_slot_offset(component, s_anchors);
    }
    PyObject *thread = sq_get_state(component, self->thread_at, s_anchor_thread);
    if (thread == NULL) return NULL;
    int here = 0;
    if (PyLong_CheckExact(thread)) {
        unsigned long ident = PyLong_AsUnsignedLong(thread);
        if (ident == (unsigned long)-1 && PyErr_Occurred()) PyErr_Clear(); /* not a thread id: not equal */
        else here = ident == PyThread_get_thread_ident();
    }
    Py_DECREF(thread);
    return here ? sq_get_state(component, self->anchors_at, s_anchors) : Py_NewRef(self->empty);
}

static PyObject *AutoEmit_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    AutoEmit *self = (AutoEmit *)callable;
    if (kwnames != NULL || PyVectorcall_NARGS(nargsf) != 1 || !PyList_CheckExact(args[0]))
        return PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
    int fits = sq_auto_emit_fits(self, args[0]);
    if (fits < 0) return NULL;
    if (!fits) /* the Python emit converts it or raises the error */
        return PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
    PyObject *anchors = auto_anchors(self);
    if (anchors == NULL) return NULL;
    PyObject *call[6] = {self->stream, args[0], anchors, Py_None, Py_None, Py_False};
    PyObject *result = PyObject_Vectorcall(self->host_emit, call, 6, NULL);
    Py_DECREF(anchors);
    return result;
}

int sq_auto_emit_fits(AutoEmit *self, PyObject *values) {
    if (self->size < 0) { /* the component's default stream size, read once */
        PyObject *size = PyObject_GetAttr(self->component, s_default_size);
        if (size == NULL) return -1;
        Py_ssize_t known = PyLong_CheckExact(size) ? PyLong_AsSsize_t(size) : -1;
        Py_DECREF(size);
        if (known == -1 && PyErr_Occurred()) return -1;
        self->size = known;
    }
    return self->size == PyList_GET_SIZE(values);
}

int sq_auto_emit_setup(AutoEmit *self, PyObject *args, PyObject *kwds, vectorcallfunc call) {
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
    self->vectorcall = call;
    return 0;
}

static int AutoEmit_init(AutoEmit *self, PyObject *args, PyObject *kwds) {
    return sq_auto_emit_setup(self, args, kwds, AutoEmit_vectorcall);
}

int sq_auto_emit_traverse(AutoEmit *self, visitproc visit, void *arg) {
    Py_VISIT(self->component);
    Py_VISIT(self->host_emit);
    Py_VISIT(self->fallback);
    Py_VISIT(self->stream);
    Py_VISIT(self->empty);
    Py_VISIT(self->component_type);
    return 0;
}

int sq_auto_emit_clear(AutoEmit *self) {
    Py_CLEAR(self->component);
    Py_CLEAR(self->host_emit);
    Py_CLEAR(self->fallback);
    Py_CLEAR(self->stream);
    Py_CLEAR(self->empty);
    Py_CLEAR(self->component_type);
    return 0;
}

void sq_auto_emit_dealloc(AutoEmit *self) {
    PyObject_GC_UnTrack(self);
    sq_auto_emit_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *auto_emit_unready(PyObject *callable, PyObject *const *Py_UNUSED(args),
                                   size_t Py_UNUSED(nargsf), PyObject *Py_UNUSED(kwnames)) {
    const char *name = strrchr(Py_TYPE(callable)->tp_name, '.'); /* "squall.engine._speedups.AutoEmit" */
    PyErr_Format(PyExc_TypeError, "%s(component, host_emit, fallback, stream) was not initialised",
                 name != NULL ? name + 1 : Py_TYPE(callable)->tp_name);
    return NULL;
}

PyObject *sq_auto_emit_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    AutoEmit *self = (AutoEmit *)PyType_GenericNew(type, args, kwds);
    if (self != NULL) self->vectorcall = auto_emit_unready;
    return (PyObject *)self;
}

PyTypeObject sq_AutoEmitType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "squall.engine._speedups.AutoEmit",
    .tp_basicsize = sizeof(AutoEmit),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "Bolt.emit(values) of one component: the common call in C, every other call to Bolt.emit.",
    .tp_new = sq_auto_emit_new,
    .tp_init = (initproc)AutoEmit_init,
    .tp_dealloc = (destructor)sq_auto_emit_dealloc,
    .tp_traverse = (traverseproc)sq_auto_emit_traverse,
    .tp_clear = (inquiry)sq_auto_emit_clear,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(AutoEmit, vectorcall),
};
