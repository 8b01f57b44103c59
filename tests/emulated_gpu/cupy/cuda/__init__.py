"""``cupy.cuda`` stand-in: one device, synchronous streams."""


class Device:
    def __init__(self, id=0):  # noqa: A002  (CuPy's name)
        self.id = id
        self.compute_capability = "90"
        # A small device: grid-stride kernels (capped per SM) then loop over their work.
        self.attributes = {"MultiProcessorCount": 2, "MaxThreadsPerBlock": 1024,
                           "WarpSize": 32}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def synchronize(self):
        pass


class _Stream:
    def synchronize(self):
        pass


def get_current_stream():
    return _Stream()


class runtime:  # noqa: N801  (CuPy's name)
    @staticmethod
    def getDeviceCount():  # noqa: N802
        return 1

    @staticmethod
    def getDevice():  # noqa: N802
        return 0

    @staticmethod
    def memGetInfo():  # noqa: N802
        return (1 << 30, 2 << 30)

    @staticmethod
    def getDeviceProperties(device_id):  # noqa: N802
        return {"name": b"Emulated GPU", "totalGlobalMem": 2 << 30, "major": 9, "minor": 0}
