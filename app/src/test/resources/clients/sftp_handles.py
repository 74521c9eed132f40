"""Drives SFTP handles with paramiko (Debian's python3-paramiko), as client libraries' own tests do; prints one JSON
object: each case's result, or "ERR <type> <message>" when the case raised.

usage: python3 sftp_handles.py HOST PORT USER PASSWORD DIR
"""
import hashlib
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


def pattern(size, seed):
    return bytes((i * 31 + seed * 7 + (i >> 11)) & 0xFF for i in range(size))


def same(name, expected):
    with sftp.open(name, "r") as f:
        got = f.read()
    if got != expected:
        first = next((i for i in range(min(len(got), len(expected))) if got[i] != expected[i]), None)
        return "MISMATCH size %d/%d first difference at %s" % (len(got), len(expected), first)
    return "ok " + hashlib.sha256(expected).hexdigest()


@case("read_write_handle")
def _():
    data = pattern(700000, 1)
    f = sftp.open("rw.bin", "w+")
    f.write(data)
    f.seek(300000)
    back = f.read(70000)
    f.close()
    if back != data[300000:370000]:
        return "read back differs"
    return same("rw.bin", data)


@case("out_of_order_writes_with_a_gap")
def _():
    model = bytearray()
    f = sftp.open("random.bin", "w")
    # across segment boundaries (256 KiB), backwards, and past the end, leaving a gap that reads as zeros
    for offset, size, seed in [(600000, 100000, 2), (0, 50000, 3), (250000, 20000, 4), (1200000, 10, 5),
                               (590000, 20000, 6), (100, 10, 7)]:
        data = pattern(size, seed)
        f.seek(offset)
        f.write(data)
        f.flush()
        if len(model) < offset + size:
            model.extend(bytes(offset + size - len(model)))
        model[offset:offset + size] = data
    size = f.stat().st_size
    f.close()
    if size != len(model):
        return "fstat size %d, not %d" % (size, len(model))
    return same("random.bin", bytes(model))


@case("seek_and_patch_an_existing_file")
def _():
    data = bytearray(pattern(500000, 8))
    with sftp.open("patch.bin", "w") as f:
        f.write(bytes(data))
    f = sftp.open("patch.bin", "r+")
    f.seek(262100)
    f.write(b"PATCHED")
    f.close()
    data[262100:262107] = b"PATCHED"
    return same("patch.bin", bytes(data))


@case("truncate_on_the_handle")
def _():
    data = pattern(400000, 9)
    f = sftp.open("cut.bin", "w")
    f.write(data)
    f.truncate(1000)
    f.seek(1000)
    f.write(b"end")
    f.close()
    return same("cut.bin", data[:1000] + b"end")


@case("truncate_by_name")
def _():
    data = pattern(300000, 10)
    with sftp.open("short.bin", "w") as f:
        f.write(data)
    sftp.truncate("short.bin", 270000)
    first = same("short.bin", data[:270000])
    sftp.truncate("short.bin", 270010)
    return [first, same("short.bin", data[:270000] + bytes(10))]


@case("truncate_of_a_missing_file")
def _():
    try:
        sftp.truncate("no-such-file", 10)
        return "truncated"
    except IOError as e:
        return "errno %s" % e.errno


@case("symlink")
def _():
    try:
        sftp.symlink("rw.bin", "link")
        return "linked"
    except IOError as e:
        return "errno %s" % e.errno


def extended(name, argument):
    kind, msg = sftp._request(paramiko.sftp.CMD_EXTENDED, name, argument)
    if kind != paramiko.sftp.CMD_NAME or msg.get_int() != 1:
        return "unexpected reply %s" % kind
    return msg.get_text()


@case("expand_path")
def _():
    return [extended("expand-path@openssh.com", "~"), extended("expand-path@openssh.com", "~/rw.bin"),
            extended("expand-path@openssh.com", "~%s/x/../rw.bin" % user), extended("expand-path@openssh.com", "rw.bin")]


@case("expand_path_of_another_user")
def _():
    try:
        return extended("expand-path@openssh.com", "~root/x")
    except IOError as e:
        return "errno %s" % e.errno


@case("home_directory")
def _():
    return extended("home-directory", user)


print(json.dumps(out))
sftp.close()
transport.close()
