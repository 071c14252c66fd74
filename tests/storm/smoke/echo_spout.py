"""A hand-written multi-lang spout (JSON framing) for the Storm smoke test.

Handshake: write <pidDir>/<pid>, reply {"pid": n}. Then, on each "next", emit one
unanchored tuple (no task ids wanted) ["hello-<i>"] (at most LIMIT of them) and "sync". Acks/fails: "sync".
"""
import os

from smoke_multilang import handshake, read_message, send

LIMIT = 20

handshake()
send({"command": "log", "msg": f"echo_spout started in {os.getcwd()}"})
emitted = 0
while True:
    message = read_message()
    if isinstance(message, list):  # task ids of an emit; not asked for, but tolerated
        continue
    command = message.get("command")
    if command == "next" and emitted < LIMIT:
        send({"command": "emit", "tuple": [f"hello-{emitted}"], "need_task_ids": False})
        emitted += 1
    send({"command": "sync"})
