"""Small file helpers: atomic saves.

A save writes ``.<name>.mxlite-tmp-<pid>-<random>`` beside the target, flushes it to disk and
renames it over the target, so a reader sees the old file or the new one, never half of one. The
temporary file is removed when the save fails; one left by a killed process (its pid no longer
running) is recognised by that name and removed by the next save to the same target. The target
keeps its permission bits, and a target that is a symbolic link stays one: the file it points to
is replaced.
"""
import errno
import os
import stat
import tempfile

_TMP_TAG = ".mxlite-tmp-"


def _tmp_prefix(path):
    return "." + os.path.basename(path) + _TMP_TAG


def _pid_alive(pid):
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists but is not ours, or cannot tell: leave its file alone
    return True


def remove_stale_temporaries(path):
    """Remove the temporary files that killed saves to ``path`` left behind; returns their
    names."""
    directory = os.path.dirname(path) or "."
    prefix = _tmp_prefix(path)
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        if not name.startswith(prefix):
            continue
        pid_text = name[len(prefix):].split("-", 1)[0]
        if not pid_text.isdigit() or _pid_alive(int(pid_text)):
            continue
        try:
            os.unlink(os.path.join(directory, name))
            removed.append(name)
        except OSError:
            pass
    return removed


def _target(fname):
    """The file a save replaces: the end of a chain of symbolic links, or ``fname`` itself."""
    path = os.path.abspath(os.fspath(fname))
    if os.path.islink(path):
        return os.path.realpath(path)
    return path


def _mode_for(path):
    """The permission bits of the existing target, or what a plain ``open`` would give."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write_bytes(fname, data):
    """Write ``data`` to ``fname`` through a temporary file and a rename, so a crash never leaves a
    half-written file. Errors are OSErrors naming ``fname`` (not the temporary file)."""
    path = _target(fname)
    remove_stale_temporaries(path)
    directory = os.path.dirname(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=_tmp_prefix(path) + f"{os.getpid()}-",
                                   dir=directory)
    except OSError as err:
        raise OSError(err.errno, f"{err.strerror or err}", os.fspath(fname)) from None
    try:
        os.chmod(tmp, _mode_for(path))
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(err, OSError) and not isinstance(err, InterruptedError):
            raise OSError(err.errno or errno.EIO, f"{err.strerror or err}",
                          os.fspath(fname)) from None
        raise
    _sync_directory(directory)


def _sync_directory(directory):
    """Flush the rename itself (POSIX), so the new name survives a power cut."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_text(fname, text):
    atomic_write_bytes(fname, text.encode("utf-8"))
