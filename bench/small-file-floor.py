#!/usr/bin/python3
"""What the disk allows per small file, for each way of making an upload durable, without any server.

Usage: bench/small-file-floor.py [directory, default bench/results/floor] [files, default 2000] [rounds, default 5]

Each round writes FILES files of 4 KiB into a fresh directory, one after another, in three ways:
  openssh-put-f  create, write, fdatasync, close            (OpenSSH's sftp-server when the client asks: put -f)
  ferry          create a part, write, fdatasync, close, rename into place, fsync the directory
                 (Ferry's promise: the file and its name on stable storage before the client hears success)
  no-fsync       create, write, close                       (OpenSSH's plain put: the page cache only)
The modes alternate within each round; the median files/s of each is printed. Nothing here is Ferry's code: it is
the floor the storage sets for each sequence of system calls.
"""
import os
import shutil
import statistics
import sys
import time

base = sys.argv[1] if len(sys.argv) > 1 else "bench/results/floor"
files = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
data = os.urandom(4096)


def run(mode, d):
    os.makedirs(d)
    start = time.perf_counter()
    for i in range(files):
        name = f"{d}/f{i}.edi"
        if mode == "ferry":
            part = f"{d}/.ferry-part-f{i}.edi"
            fd = os.open(part, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o644)
            os.write(fd, data)
            os.fdatasync(fd)
            os.close(fd)
            os.rename(part, name)
            dfd = os.open(d, os.O_RDONLY)
            os.fsync(dfd)
            os.close(dfd)
        else:
            fd = os.open(name, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
            os.write(fd, data)
            if mode == "openssh-put-f":
                os.fdatasync(fd)
            os.close(fd)
    return files / (time.perf_counter() - start)


results = {m: [] for m in ("openssh-put-f", "ferry", "no-fsync")}
os.makedirs(base, exist_ok=True)
for r in range(rounds):
    for m in results:
        d = os.path.join(base, f"{m}-{r}")
        shutil.rmtree(d, ignore_errors=True)
        os.sync()
        results[m].append(run(m, d))
        shutil.rmtree(d, ignore_errors=True)
for m, v in results.items():
    print(f"{m:14s} {statistics.median(v):7.0f} files/s  (runs: {', '.join(f'{x:.0f}' for x in v)})")
