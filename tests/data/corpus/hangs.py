# labels: kind::hang
"""Starts a grandchild process, then hangs: on timeout benchit must end both.

If BENCHIT_TEST_PIDFILE is set, the grandchild's pid is written there.
"""
import os
import subprocess
import sys
import time

child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
if os.environ.get("BENCHIT_TEST_PIDFILE"):
    with open(os.environ["BENCHIT_TEST_PIDFILE"], "w") as f:
        f.write(str(child.pid))
print("hangs: started grandchild", child.pid, flush=True)
time.sleep(3600)
