"""A hand-written multi-lang bolt (JSON framing) for the Storm smoke test.

Writes facts about its environment to <squall.smoke.dir>/bolt-env.json, appends each
word it receives to <squall.smoke.dir>/words.txt, acks every tuple, and answers
heartbeats with "sync".
"""
import json
import os
import sys

from smoke_multilang import handshake, read_message, send

setup = handshake()
out_dir = setup["conf"]["squall.smoke.dir"]
facts = {"pid": os.getpid(), "cwd": os.getcwd(), "executable": sys.executable,
         "argv": sys.argv, "path": os.environ.get("PATH", ""), "pidDir": setup["pidDir"]}
with open(os.path.join(out_dir, "bolt-env.json"), "w") as handle:
    json.dump(facts, handle)
send({"command": "log", "msg": f"sink_bolt ready, writing to {out_dir}"})
while True:
    message = read_message()
    if message.get("stream") == "__heartbeat":
        send({"command": "sync"})
        continue
    with open(os.path.join(out_dir, "words.txt"), "a") as handle:
        handle.write(message["tuple"][0] + "\n")
    send({"command": "ack", "id": message["id"]})
