"""Exit codes of ``python -m squall.multilang`` (each outcome has its own).

========================  ====  ===============================================
name                      code  meaning
========================  ====  ===============================================
EXIT_PEER_GONE               0  stdin reached EOF: Storm closed the pipe (orderly end)
EXIT_USAGE                   2  bad command line, or the component class cannot be loaded
EXIT_PROTOCOL                3  malformed input (bad frame, unknown/misplaced command, cut frame)
EXIT_COMPONENT_CRASHED       4  user code raised (after ``error`` + ``log`` were sent)
EXIT_INTERNAL                5  a bug in squall itself (traceback on stderr)
========================  ====  ===============================================
"""

EXIT_PEER_GONE = 0
EXIT_USAGE = 2
EXIT_PROTOCOL = 3
EXIT_COMPONENT_CRASHED = 4
EXIT_INTERNAL = 5
