"""CUDA-on-CPU execution harness: runs the real ``kernels/*.cu`` on a CPU as a strict device.

    from cuda_on_cpu import Module
    kernel = Module(path="kernels/softmax.cu").get_function("softmax_fwd_float32")
    kernel((blocks,), (32, 4), (x, y, None, np.int64(rows), np.int64(cols), 1.0, np.int32(0),
                                np.int32(0)))

See README.md beside this file for what it checks and what it does not.
"""
from .build import BuildError
from .device import Kernel, KernelError, LaunchError, Module

__all__ = ["Module", "Kernel", "KernelError", "LaunchError", "BuildError"]
