/* module.c of squall.engine._speedups, the embedded engine's per-tuple hot path in C.
 *
 * Optional: every function here has a pure-Python twin in squall/engine/_hotpath.py
 * with the same contract, used when this module is not built or when
 * SQUALL_PURE_PYTHON=1 (squall/engine/_fast.py chooses). No semantics live only here.
 *
 * One extension module built from the C files of this folder (pyproject.toml lists them):
 *   speedups.h    what the files share: includes, the interned names, the int, attribute
 *                 and slot helpers, the msgpack reader, the RNG, the BoltEmit struct
 *   module.c      this file: the method table, the types' registration, PyInit__speedups
 *                 and the interned names' definitions
 *   acks.c        xor_acks and its per-root folds
 *   codec.c       uniform_tuples, pack_batch, decode_batch (and its str cache)
 *   bolt_emit.c   BoltEmit, AutoEmit
 *   spout_emit.c  SpoutEmit, SpoutAutoEmit, spout_burst
 *   spout_acks.c  spout_acks, fold_acks_message
 *   dispatch.c    dispatch_batch
 *
 * The module's names:
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
#include "speedups.h"

PyObject *sq_missing;
PyObject *s_hot, *s_inputs, *s_records, *s_heat, *s_slow, *s_new_port, *s_seal, *s_wake, *s_main_thread, *s_lock,
    *s_acquire, *s_release;
PyObject *s_default_size, *s_anchor_thread, *s_anchors;
PyObject *s_emit_calls, *s_tup_id, *s_blocked;
PyObject *s_pending, *s_latency, *s_buckets, *s_count, *s_total, *s_acked, *s_ack;
PyObject *s_process, *s_host, *s_fail, *s_ack_many, *s_auto_anchor, *s_auto_fail, *s_auto_ack, *s_open, *s_current,
    *s_on_tuple, *s_end_held, *s_after, *s_stream, *s_component, *s_id, *s_add, *s_tick_stream, *s_tick_component;

static PyMethodDef methods[] = {
    {"xor_acks", (PyCFunction)(void (*)(void))sq_xor_acks, METH_FASTCALL,
     "xor_acks(inputs, acks, ids): pop each id's input entry and XOR it into acks; return the first unknown id or None."},
    {"pack_batch", (PyCFunction)(void (*)(void))sq_pack_batch, METH_FASTCALL,
     "pack_batch(kind, src, records): the msgpack bytes of (kind, src, records), or None when msgpack must pack it."},
    {"decode_batch", (PyCFunction)(void (*)(void))sq_decode_batch, METH_FASTCALL,
     "decode_batch(data, tables, inputs, first, tuple_class): (src, Tuples) of a DATA batch, or None."},
    {"dispatch_batch", (PyCFunction)(void (*)(void))sq_dispatch_batch, METH_FASTCALL,
     "dispatch_batch(bolt, tuples, on_error, settled, tuple_class): Bolt._squall_on_tuples's fused loop."},
    {"uniform_tuples", (PyCFunction)(void (*)(void))sq_uniform_tuples, METH_FASTCALL,
     "uniform_tuples(...): the Tuples of a one-stream batch, all tracked (inputs registered) or none, else None."},
    {"spout_acks", (PyCFunction)(void (*)(void))sq_spout_acks, METH_FASTCALL,
     "spout_acks(tracker, collector, spout, acks, start, now): fold an ACKS message's pairs into the pending trees; "
     "(next index, exception) when ack() raised, else None."},
    {"fold_acks_message", (PyCFunction)(void (*)(void))sq_fold_acks_message, METH_FASTCALL,
     "fold_acks_message(data, tracker, collector, spout, now): spout_acks on a plain ACKS message's bytes; "
     "True, (next index, exception) when ack() raised, or None (the general path)."},
    {"spout_burst", (PyCFunction)(void (*)(void))sq_spout_burst, METH_FASTCALL,
     "spout_burst(target, method, collector, emit, pending, count, limit): call next_tuple up to count times; "
     "(calls left, exception, whether it emitted) when it raised, else None."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "squall.engine._speedups",
    "The embedded engine's per-tuple hot path in C (pure-Python twin: squall.engine._hotpath).", -1, methods,
    NULL, NULL, NULL, NULL,
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
    if ((sq_missing = PyObject_CallNoArgs((PyObject *)&PyBaseObject_Type)) == NULL) return NULL;
#undef INTERN
    PyTypeObject *types[] = {&sq_BoltEmitType, &sq_SpoutEmitType, &sq_AutoEmitType, &sq_SpoutAutoEmitType};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (PyType_Ready(types[i]) < 0) return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (m == NULL) return NULL;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        const char *name = strrchr(types[i]->tp_name, '.') + 1; /* "squall.engine._speedups.BoltEmit" */
        if (PyModule_AddObjectRef(m, name, (PyObject *)types[i]) < 0) {
            Py_DECREF(m);
            return NULL;
        }
    }
    return m;
}
