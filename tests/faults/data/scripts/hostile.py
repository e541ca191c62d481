"""A script that does everything a well-behaved script should not: chdir, delete itself, fork, leave threads
running, print megabytes, read stdin. It still calls a model, which benchit must build and benchmark."""
import os
import sys
import threading
import time

import torch

print("argv:", sys.argv[1:])
os.chdir("/")
try:
    os.unlink(__file__)  # delete its own file
except OSError:
    pass
data = sys.stdin.read()  # stdin: must not hang
print("stdin bytes:", len(data))
threading.Thread(target=lambda: time.sleep(3600), daemon=False).start()  # keeps running
pid = os.fork()
if pid == 0:  # the forked child: calls nothing, exits quietly without running benchit's cleanup
    os._exit(0)
os.waitpid(pid, 0)
sys.stdout.write(("x" * 1023 + "\n") * 3 * 1024)  # 3 MB
model = torch.nn.Linear(6, 3)
model(torch.ones(1, 6))
print("hostile: done")
