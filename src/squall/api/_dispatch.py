"""The one dispatch and error policy every host calls (engine, multi-lang, test harness).

A host does I/O and bookkeeping; what happens *around* user code is decided here,
once, so a component behaves the same on every host:

* :func:`dispatch` runs a bolt on tuples: ``process`` or ``process_tick``, the batch
  hooks of batching bolts, ``auto_anchor`` / ``auto_ack`` / ``auto_fail``, and an
  explicit ``ack``/``fail`` winning over the automatic one (the semantics live in the
  bolt kind's hooks, :class:`BoltHooks`; this is the only entry hosts use).
* :func:`report_exception` reports an exception from user code: the traceback goes to
  the host's log at ERROR and to ``report_error`` (Storm UI, squall's crash report,
  the harness's ``errors``).
* :func:`stops_task` decides whether the task stops (``exit_on_exception``, default
  True) or goes on; :func:`on_user_error` is both in one call.

Example (a host's loop)::

    def on_error(exc, tup):
        if on_user_error(host, bolt, exc, f"while processing {tup!r}"):
            raise TaskStopped from exc

    dispatch(bolt, tuples, on_error)
"""

from __future__ import annotations

import traceback
from typing import Any, Callable, Iterable, Mapping, Optional, Protocol

from squall.api._context import TopologyContext
from squall.api._host import ERROR, ComponentHost
from squall.api._tuple import Tuple

OnError = Callable[[Exception, Tuple], None]
"""``on_error(exc, tup)``: called by :func:`dispatch` when user code raised on ``tup``.

It reports (see :func:`on_user_error`) and either returns, so the dispatch goes on
with the next tuple, or raises, so it stops (the auto-acks of the tuples that
completed are still handed to the host)."""


class BoltHooks(Protocol):
    """The hooks a bolt kind implements; hosts call nothing else on a bolt.

    ``Bolt`` implements them for plain bolts, ``BatchingBolt`` and
    ``TicklessBatchingBolt`` override ``_squall_on_tuple`` (and the first two
    ``_squall_prepare``/``_squall_close``). A new kind (windowed, stateful) subclasses
    ``Bolt`` and overrides the same hooks; the host code does not change.

    Every hook runs on the task's main thread, one at a time, unless stated.

    * ``_squall_prepare(host, conf, context)``: called once before any tuple; must
      call ``super()._squall_prepare`` (which attaches the host and runs the user's
      ``initialize``). Create the kind's state here, start its threads here.
    * ``_squall_on_tuple(tup)``: one input or tick tuple (``tup.is_tick``). The kind
      decides when user code runs (now, or later for a batch/window) and settles the
      input exactly once through ``self._host.ack``/``fail``: at once, or later
      (register it with ``self._squall_open.add(tup.id)`` while held, so an explicit
      ``self.ack(tup)`` by the user is accepted once, from any thread). Raising means
      user code failed on ``tup``; fail it first when ``auto_fail`` is set. May block
      only as long as user code does (the task reads no input meanwhile).
    * ``_squall_on_tuples(tuples, on_error)``: a batch, in order; the default (Bolt)
      calls ``_squall_on_tuple`` per tuple, or a fused loop with the same semantics
      when the kind does not override ``_squall_on_tuple``. An exception on a tuple
      goes to ``on_error(exc, tup)``; the batch goes on unless it raises.
    * ``_squall_close()``: the task ends (optional; stop the kind's threads). Work a
      kind still holds is not flushed: held inputs are failed by the host, or time
      out, and are replayed.

    A thread of the kind (a flush timer) that sees user code raise calls
    ``self._host.fatal(exc)`` when ``exit_on_exception`` is set, else
    ``self.raise_exception(exc)``; hosts accept ack/fail/emit from any thread.
    """

    @property
    def exit_on_exception(self) -> bool:
        """Whether an exception from user code stops the task (class attribute on components)."""
        ...

    def _squall_prepare(self, host: ComponentHost, conf: Mapping[str, Any], context: TopologyContext) -> None:
        """Attach to ``host`` and run the user's ``initialize``."""
        ...

    def _squall_on_tuple(self, tup: Tuple) -> None:
        """Run user code for one tuple (or hold it) and settle it once; raise when user code raised."""
        ...

    def _squall_on_tuples(self, tuples: Iterable[Tuple], on_error: OnError) -> None:
        """Run ``_squall_on_tuple``'s semantics on each tuple; errors go to ``on_error``."""
        ...


def dispatch(bolt: BoltHooks, tuples: Iterable[Tuple], on_error: OnError) -> None:
    """Run ``bolt`` on ``tuples`` (inputs and ticks, in order): the one bolt dispatch of every host.

    An exception from user code on a tuple goes to ``on_error(exc, tup)`` after the
    tuple was failed (``auto_fail``); the dispatch goes on with the next tuple unless
    ``on_error`` raises. A host with ``ack_many(ids)`` gets a batch's auto-acks in
    one call at its end, others one ``ack`` per tuple.
    """
    bolt._squall_on_tuples(tuples, on_error)


def dispatch_one(bolt: BoltHooks, tup: Tuple) -> None:
    """Run ``bolt`` on one tuple; an exception from user code propagates (after auto_fail)."""
    bolt._squall_on_tuple(tup)


def format_exception(exc: BaseException, where: Optional[str] = None) -> str:
    """Return ``exc``'s traceback, after a ``where:`` line when given.

    >>> try:
    ...     raise ValueError("bad")
    ... except ValueError as exc:
    ...     print(format_exception(exc, "in next_tuple()").splitlines()[0])
    in next_tuple():
    """
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return f"{where}:\n{text}" if where else text


def report_exception(host: ComponentHost, exc: BaseException, where: Optional[str] = None) -> str:
    """Report ``exc`` from user code: log it at ERROR, then ``report_error`` it; return the text.

    ``where`` says what ran ("while processing Tuple(...)", "in ack()"); hosts add
    their own prefix (the engine names ``component[task]``). A host whose ``log``
    raises still gets ``report_error`` (then the ``log`` error propagates).
    """
    text = format_exception(exc, where)
    try:
        host.log(text, ERROR)
    finally:
        host.report_error(text)
    return text


def stops_task(component: Any) -> bool:
    """Return whether an exception from ``component``'s code stops its task (``exit_on_exception``).

    True for anything that is not a component (an exception before one exists).
    """
    return bool(getattr(component, "exit_on_exception", True))


def on_user_error(host: ComponentHost, component: Any, exc: BaseException, where: Optional[str] = None) -> bool:
    """Report ``exc`` (see :func:`report_exception`) and return whether the task must stop."""
    report_exception(host, exc, where)
    return stops_task(component)

