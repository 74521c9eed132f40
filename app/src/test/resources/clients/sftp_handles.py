"""Drives SFTP handles with paramiko (Debian's python3-paramiko), as client libraries' own tests do; prints one JSON
object: each case's result, or "ERR <type> <message>" when the case raised.

usage: python3 sftp_handles.py HOST PORT USER PASSWORD DIR
"""
import json
import sys

import paramiko

host, port, user, password, base = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
transport = paramiko.Transport((host, port))
transport.connect(username=user, password=password)
sftp = paramiko.SFTPClient.from_transport(transport)
sftp.mkdir(base)
sftp.chdir(base)
out = {}


def case(name):
    def run(fn):
        try:
            out[name] = fn()
        except Exception as e:  # each case's failure is its result
            out[name] = "ERR %s %s" % (type(e).__name__, e)
        return fn
    return run


@case("fstat_on_an_upload")
def _():
    f = sftp.open("fstat.bin", "w")
    f.write(b"x" * 1000)
    f.flush()
    size = f.stat().st_size
    f.close()
    return [size, sftp.stat("fstat.bin").st_size]


@case("append")
def _():
    with sftp.open("append.txt", "w") as f:
        f.write(b"hello ")
    f = sftp.open("append.txt", "a")
    f.write(b"world")
    f.flush()
    size = f.stat().st_size
    f.close()
    with sftp.open("append.txt", "r") as f:
        return [size, f.read().decode()]


@case("rmdir_of_a_missing_directory")
def _():
    try:
        sftp.rmdir("no-such-dir")
        return "removed"
    except IOError as e:
        return "errno %s" % e.errno


@case("times_set_on_the_handle_before_close")
def _():
    f = sftp.open("times.bin", "w")
    f.write(b"t" * 100)
    f.utime((1500000000, 1500000000))
    f.close()
    return int(sftp.stat("times.bin").st_mtime)


@case("times_set_by_name_after_close")
def _():
    with sftp.open("times2.bin", "w") as f:
        f.write(b"t")
    sftp.utime("times2.bin", (1500000000, 1500000000))
    return int(sftp.stat("times2.bin").st_mtime)


print(json.dumps(out))
sftp.close()
transport.close()
