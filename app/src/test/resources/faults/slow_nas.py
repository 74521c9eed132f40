#!/usr/bin/python3
"""A NAS that is slow, then hangs: a FUSE file system (Debian's python3-fusepy) that passes every operation through to
a backing directory, each write, fsync and create delayed by --delay-ms. While the file --hang-file names exists,
every operation waits (a NAS that stops answering, as an NFS hard mount does); removing it lets them go on. Runs in
the foreground until unmounted.

    slow_nas.py BACKING MOUNTPOINT --delay-ms 20 --hang-file /tmp/x/hang
"""
import argparse
import errno
import os
import time

from fusepy import FUSE, FuseOSError, Operations

class Passthrough(Operations):
    def __init__(self, backing, delay, hang_file):
        self.backing = backing
        self.delay = delay
        self.hang_file = hang_file

    def _path(self, path):
        return os.path.join(self.backing, path.lstrip('/'))

    def _wait(self, slow=False):
        # bounded: a hang lasts until the hang file is gone or ten minutes, whichever comes first
        deadline = time.monotonic() + 600
        while self.hang_file and os.path.exists(self.hang_file) and time.monotonic() < deadline:
            time.sleep(0.05)
        if slow and self.delay:
            time.sleep(self.delay)

    def __call__(self, op, *args):
        self._wait()
        try:
            return super().__call__(op, *args)
        except OSError as e:
            raise FuseOSError(e.errno or errno.EIO)

    def access(self, path, mode):
        if not os.access(self._path(path), mode):
            raise FuseOSError(errno.EACCES)

    def chmod(self, path, mode):
        return os.chmod(self._path(path), mode)

    def chown(self, path, uid, gid):
        return os.chown(self._path(path), uid, gid)

    def getattr(self, path, fh=None):
        st = os.lstat(self._path(path))
        return {key: getattr(st, key) for key in ('st_atime', 'st_ctime', 'st_gid', 'st_mode', 'st_mtime',
                                                  'st_nlink', 'st_size', 'st_uid')}

    def readdir(self, path, fh):
        return ['.', '..'] + os.listdir(self._path(path))

    def mkdir(self, path, mode):
        return os.mkdir(self._path(path), mode)

    def rmdir(self, path):
        return os.rmdir(self._path(path))

    def statfs(self, path):
        st = os.statvfs(self._path(path))
        return {key: getattr(st, key) for key in ('f_bavail', 'f_bfree', 'f_blocks', 'f_bsize', 'f_favail',
                                                  'f_ffree', 'f_files', 'f_flag', 'f_frsize', 'f_namemax')}

    def unlink(self, path):
        return os.unlink(self._path(path))

    def rename(self, old, new):
        return os.rename(self._path(old), self._path(new))

    def utimens(self, path, times=None):
        return os.utime(self._path(path), times)

    def open(self, path, flags):
        return os.open(self._path(path), flags)

    def create(self, path, mode, fi=None):
        self._wait(slow=True)
        return os.open(self._path(path), os.O_WRONLY | os.O_CREAT, mode)

    def read(self, path, length, offset, fh):
        return os.pread(fh, length, offset)

    def write(self, path, buf, offset, fh):
        self._wait(slow=True)
        return os.pwrite(fh, buf, offset)

    def truncate(self, path, length, fh=None):
        if fh is not None:
            os.ftruncate(fh, length)
        else:
            os.truncate(self._path(path), length)

    def flush(self, path, fh):
        return 0

    def release(self, path, fh):
        return os.close(fh)

    def fsync(self, path, datasync, fh):
        self._wait(slow=True)
        return os.fdatasync(fh) if datasync else os.fsync(fh)

    # xattrs (Ferry marks a rewritten upload with one): passed through
    def getxattr(self, path, name, position=0):
        try:
            return os.getxattr(self._path(path), name)
        except OSError as e:
            raise FuseOSError(e.errno)

    def setxattr(self, path, name, value, options, position=0):
        return os.setxattr(self._path(path), name, value, options)

    def listxattr(self, path):
        return os.listxattr(self._path(path))

    def removexattr(self, path, name):
        return os.removexattr(self._path(path), name)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('backing')
    parser.add_argument('mountpoint')
    parser.add_argument('--delay-ms', type=int, default=0)
    parser.add_argument('--hang-file')
    args = parser.parse_args()
    FUSE(Passthrough(os.path.realpath(args.backing), args.delay_ms / 1000.0, args.hang_file), args.mountpoint,
         foreground=True, nothreads=False, allow_other=True, big_writes=True, max_write=131072,
         fsname='ferry-test-slow')


if __name__ == '__main__':
    main()
