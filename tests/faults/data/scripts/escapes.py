"""Starts processes that leave its process group, then exits or (argument `hang`) hangs.

- a child in a new session (setsid) that ignores SIGTERM;
- a daemon that double-forks: its parent exits at once, so it is an orphan in a session of its own.
Their pids are written to the file named by BENCHIT_TEST_PIDFILE. benchit must end both either way.
"""
import os
import subprocess
import sys
import time

IGNORES_TERM = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(3600)"
# The daemon must not hold the pipe its pid is read from, or reading it would wait for the daemon to end.
DAEMON = ("import subprocess, sys; p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(3600)'], "
          "start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); print(p.pid)")

setsid_child = subprocess.Popen([sys.executable, "-c", IGNORES_TERM], start_new_session=True)
daemon = int(subprocess.run([sys.executable, "-c", DAEMON], capture_output=True, text=True, check=True).stdout)
with open(os.environ["BENCHIT_TEST_PIDFILE"], "w") as f:
    f.write(f"{setsid_child.pid} {daemon}")
print("escapes: started", setsid_child.pid, daemon, flush=True)
if sys.argv[1:] == ["hang"]:
    time.sleep(3600)
