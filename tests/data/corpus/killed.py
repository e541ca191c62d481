# labels: kind::killed
"""Dies of SIGKILL, the way the kernel's out-of-memory killer ends a process."""
import os
import signal

print("killed: about to be killed", flush=True)
os.kill(os.getpid(), signal.SIGKILL)
