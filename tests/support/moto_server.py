#!/usr/bin/env python3
"""Runs a real moto server on 127.0.0.1:PORT for one test process, with request recording on,
and exits by itself when that process (PARENT_PID) is gone, so no server outlives its tests.

usage: moto_server.py PORT PARENT_PID RECORDING_FILE
"""
import os, sys, time

port, parent, recording = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
os.environ["MOTO_ENABLE_RECORDING"] = "True"
os.environ["MOTO_RECORDER_FILEPATH"] = recording

from moto.server import ThreadedMotoServer  # noqa: E402  (env must be set first)

server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
server.start()
print("ready", flush=True)
try:
    while True:
        try:
            os.kill(parent, 0)
        except OSError:
            break
        time.sleep(0.5)
finally:
    server.stop()
