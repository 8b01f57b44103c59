"""Small file helpers."""
import os
import tempfile


def atomic_write_bytes(fname, data):
    """Write ``data`` to ``fname`` through a temporary file and a rename, so a crash never leaves a
    half-written file."""
    directory = os.path.dirname(os.path.abspath(fname))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        # mkstemp creates 0600; give the file the mode a plain open() would (0666 minus umask)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, fname)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(fname, text):
    atomic_write_bytes(fname, text.encode("utf-8"))
