#!/usr/bin/python3
"""The floor a durable store must beat by group commit: one writer, each 4 KiB file written to a temp
name, fsynced, closed and renamed into place.   fsync-loop.py DIR SECONDS [--dirsync]"""
import os, sys, time
d, seconds, dirsync = sys.argv[1], float(sys.argv[2]), "--dirsync" in sys.argv
os.makedirs(d, exist_ok=True)
body, n = os.urandom(4096), 0
dfd = os.open(d, os.O_RDONLY)
end = time.monotonic() + seconds
while time.monotonic() < end:
    tmp = os.path.join(d, f"{n}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, body); os.fsync(fd); os.close(fd)
    os.rename(tmp, os.path.join(d, f"{n}.obj"))
    if dirsync:
        os.fsync(dfd)
    n += 1
print(f"{n / seconds:.0f}")
