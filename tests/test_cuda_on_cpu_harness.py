"""Self-tests of the CUDA-on-CPU harness (tests/cuda_on_cpu): correct kernels give the right
results, and each detector fires, with the kernel, source line and lane in its message, on a
kernel broken on purpose (tests/cuda_on_cpu/selftest.cu). Needs g++ 12 or newer, not a GPU."""
import pathlib
import re
import shutil

import numpy as np
import pytest

from cuda_on_cpu import KernelError, LaunchError, Module

SOURCE = pathlib.Path(__file__).parent / "cuda_on_cpu" / "selftest.cu"
pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")


def mark_line(mark):
    """Line number of the ``// MARK <mark>`` comment in selftest.cu."""
    for number, line in enumerate(SOURCE.read_text().splitlines(), 1):
        if line.rstrip().endswith(f"MARK {mark}"):
            return number
    raise LookupError(mark)


@pytest.fixture(scope="module")
def mod():
    return Module(path=SOURCE)


def f32(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# ---- correct kernels run correctly --------------------------------------------------------------

def test_entry_points_and_signatures(mod):
    assert mod.kernels["block_sum"][1] == ["const float32*", "float32*", "int64"]
    assert mod.kernels["block_sum"][2] == 256  # __launch_bounds__
    assert mod.kernels["half_round_trip"][1] == ["const float16*", "float16*", "int64"]
    assert mod.shared_bytes > 0


@pytest.mark.parametrize("threads", [32, 96, 256])
def test_block_sum(mod, threads):
    x = f32(5, 1000)
    out = np.zeros(5, np.float32)
    mod.get_function("block_sum")((5,), (threads,), (x, out, 1000))
    np.testing.assert_allclose(out, x.sum(1), rtol=1e-5, atol=1e-4)


def test_warp_intrinsics(mod):
    x = np.arange(64, dtype=np.int32)[::-1].copy()
    out = np.zeros((64, 8), np.int32)
    mod.get_function("warp_ops")((1,), (64,), (x, out))
    lane = np.arange(64) % 32
    base = np.arange(64) - lane
    np.testing.assert_array_equal(out[:, 0], x[base + 3])
    np.testing.assert_array_equal(out[:, 1], x[np.where(lane >= 2, np.arange(64) - 2,
                                                        np.arange(64))])
    seg_end = (np.arange(64) // 16 + 1) * 16
    down = np.arange(64) + 5
    np.testing.assert_array_equal(out[:, 2], x[np.where(down < seg_end, down, np.arange(64))])
    np.testing.assert_array_equal(out[:, 3], x[np.arange(64) ^ 1])
    for w in (0, 1):
        bits = sum(1 << k for k in range(32) if x[32 * w + k] > 10)
        assert (out[32 * w:32 * w + 32, 4].view(np.uint32) == bits).all()
    assert (out[:32, 5] == 0).all() and (out[32:, 5] == 1).all()  # x == 7 only in warp 1
    assert (out[:, 6] == 1).all()
    np.testing.assert_array_equal(out[:, 7], x[np.arange(64) ^ 8])


def test_atomics_in_place_and_float16(mod):
    x = np.random.default_rng(1).integers(0, 10, 5000).astype(np.int32)
    bins = np.zeros(10, np.int32)
    mod.get_function("histogram")((4,), (128,), (x, bins, x.size))
    np.testing.assert_array_equal(bins, np.bincount(x, minlength=10))
    y = f32(1000)
    expected = 3 * y
    mod.get_function("scale")((8,), (128,), (y, y, y.size, np.float32(3)))  # in place
    np.testing.assert_array_equal(y, expected)
    h = f32(100).astype(np.float16)
    out = np.empty_like(h)
    mod.get_function("half_round_trip")((1,), (128,), (h, out, h.size))
    np.testing.assert_array_equal(out, (h.astype(np.float32) * 3).astype(np.float16))


def test_views_keep_their_offset_and_empty_arrays_are_null(mod):
    buf = f32(1001)
    view = buf[1:]  # 4 bytes past an allocation: the kernel sees the same misalignment
    out = np.zeros(1000, np.float32)
    mod.get_function("scale")((8,), (128,), (view, out, 1000, np.float32(1)))
    np.testing.assert_array_equal(out, view)
    mod.get_function("scale")((1,), (32,), (np.zeros(0, np.float32), np.zeros(0, np.float32), 0,
                                            np.float32(1)))


def test_harness_recovers_after_an_error(mod):
    with pytest.raises(KernelError):
        mod.get_function("tail_off_by_one")((4,), (256,), (f32(1000), f32(1000), 1000))
    test_block_sum(mod, 128)


# ---- each detector fires ---------------------------------------------------------------------

def test_race_is_detected(mod):
    with pytest.raises(KernelError, match="race.*differ between forward and reverse"):
        mod.get_function("race")((1,), (256,), (f32(256), np.zeros(256, np.float32)))


def test_shared_memory_reuse_without_barrier_is_detected(mod):
    with pytest.raises(KernelError, match="reuse_without_barrier.*differ"):
        mod.get_function("reuse_without_barrier")((1,), (64,), (f32(3 * 64),
                                                                np.zeros(3 * 64, np.float32),
                                                                np.int32(3)))


def test_uninitialised_shared_memory_is_detected(mod):
    with pytest.raises(KernelError, match="uninitialised_shared.*differ"):
        mod.get_function("uninitialised_shared")((1,), (32,), (np.zeros(32, np.float32),))


def test_skipped_barrier(mod):
    with pytest.raises(KernelError) as err:
        mod.get_function("skipped_barrier")((1,), (32,), (np.zeros(32, np.float32),))
    msg = str(err.value)
    assert "divergent __syncthreads" in msg and "skipped_barrier" in msg
    assert f"selftest.cu:{mark_line('skipped')}" in msg and "exited" in msg


def test_split_barrier(mod):
    with pytest.raises(KernelError) as err:
        mod.get_function("split_barrier")((1,), (128,), (np.zeros(128, np.float32),))
    msg = str(err.value)
    assert "divergent __syncthreads" in msg
    assert f"selftest.cu:{mark_line('split-a')}" in msg
    assert f"selftest.cu:{mark_line('split-b')}" in msg


def test_divergent_warp_intrinsic(mod):
    with pytest.raises(KernelError) as err:
        mod.get_function("divergent_shuffle")((1,), (32,), (f32(32), np.zeros(32, np.float32)))
    msg = str(err.value)
    assert "divergent warp intrinsic" in msg and "divergent_shuffle" in msg
    assert f"selftest.cu:{mark_line('shuffle-a')}" in msg
    assert f"selftest.cu:{mark_line('shuffle-b')}" in msg


def test_deadlock_between_a_shuffle_and_a_barrier(mod):
    with pytest.raises(KernelError) as err:
        mod.get_function("shuffle_vs_barrier")((1,), (32,), (f32(32), np.zeros(32, np.float32)))
    msg = str(err.value)
    assert "deadlock" in msg and "shuffle_vs_barrier" in msg
    assert f"selftest.cu:{mark_line('deadlock-shuffle')}" in msg
    assert f"selftest.cu:{mark_line('deadlock-barrier')}" in msg


def test_mask_smaller_than_the_lanes_read(mod):
    with pytest.raises(KernelError) as err:
        mod.get_function("mask_too_small")((1,), (32,), (f32(32), np.zeros(32, np.float32)))
    msg = str(err.value)
    assert re.search(r"lane 0 reads lane 16, which is not in the mask 0x0000ffff", msg), msg
    assert f"selftest.cu:{mark_line('small-mask')}" in msg and "mask_too_small" in msg


def test_mask_naming_exited_lanes(mod):
    with pytest.raises(KernelError, match=r"names lane 16, which has exited") as err:
        mod.get_function("mask_names_exited")((1,), (32,), (f32(32), np.zeros(32, np.float32)))
    assert f"selftest.cu:{mark_line('exited-lanes')}" in str(err.value)


def test_mask_naming_absent_lanes(mod):
    with pytest.raises(KernelError, match=r"names lane 16, which does not exist") as err:
        mod.get_function("mask_names_absent")((1,), (48,), (f32(48), np.zeros(48, np.float32)))
    assert f"selftest.cu:{mark_line('absent-lanes')}" in str(err.value)


def test_out_of_bounds_tail_hits_the_guard_page(mod):
    with pytest.raises(KernelError) as err:
        mod.get_function("tail_off_by_one")((4,), (256,), (f32(1000), np.zeros(1000, np.float32),
                                                          1000))
    msg = str(err.value)
    assert "out-of-bounds access to argument 0, at byte 4000 of 4000" in msg, msg
    assert f"selftest.cu:{mark_line('tail')}" in msg and "thread (232,0,0)" in msg


def test_out_of_bounds_write_into_the_slack_is_detected(mod):
    # 1001 floats: the copy ends 12 bytes before the guard page, so x[1001] reads the fill and
    # y[1001] lands in the slack, which is checked after the launch.
    with pytest.raises(KernelError, match="tail_off_by_one: wrote outside argument 1"):
        mod.get_function("tail_off_by_one")((4,), (256,), (f32(1001), np.zeros(1001, np.float32),
                                                          1001))


def test_shared_memory_overflow(mod):
    with pytest.raises(KernelError) as err:
        mod.get_function("smem_overflow")((1,), (64,), (f32(64), np.zeros(64, np.float32)))
    msg = str(err.value)
    assert "UBSan" in msg and f"selftest.cu:{mark_line('smem')}" in msg
    assert "thread (32,0,0)" in msg


def test_shared_memory_overflow_through_a_pointer(mod):
    with pytest.raises(KernelError) as err:
        mod.get_function("smem_overflow_via_pointer")((1,), (32,), (f32(32),
                                                                   np.zeros(32, np.float32)))
    msg = str(err.value)
    assert "UBSan" in msg and f"selftest.cu:{mark_line('smem-pointer')}" in msg
    assert "thread (8,0,0)" in msg


def test_misaligned_vector_load(mod):
    buf = f32(4 * 64 + 1)
    y = np.zeros(4 * 64, np.float32)
    mod.get_function("vector_copy")((1,), (64,), (buf[:-1], y, 64))  # aligned: fine
    np.testing.assert_array_equal(y, buf[:-1])
    with pytest.raises(KernelError) as err:
        mod.get_function("vector_copy")((1,), (64,), (buf[1:], y, 64))
    msg = str(err.value)
    assert "UBSan" in msg and f"selftest.cu:{mark_line('vector')}" in msg


def test_write_through_a_const_pointer(mod):
    with pytest.raises(KernelError, match="writes_input: wrote to argument 0, a const pointer"):
        mod.get_function("writes_input")((1,), (32,), (f32(32), np.zeros(32, np.float32)))


def test_int32_passed_for_int64(mod):
    with pytest.raises(LaunchError, match=r"argument 2 is int32 but the parameter is int64"):
        mod.get_function("scale")((1,), (32,), (f32(32), f32(32), np.int32(32), np.float32(1)))


@pytest.mark.parametrize("args,match", [
    ((f32(32), f32(32), 32, 1.0), r"argument 3 is float64 but the parameter is float32"),
    ((f32(32), f32(32), 32), r"3 arguments for 4 parameters"),
    ((f32(32).astype(np.float64), f32(32), 32, np.float32(1)),
     r"argument 0 is a float64 array but the parameter is const float32\*"),
    ((f32(64)[::2], f32(32), 32, np.float32(1)), r"argument 0 .* is not C-contiguous"),
    ((f32(32).tolist(), f32(32), 32, np.float32(1)), r"must be an array or None"),
])
def test_argument_checks(mod, args, match):
    with pytest.raises(LaunchError, match=match):
        mod.get_function("scale")((1,), (32,), args)


@pytest.mark.parametrize("grid,block,match", [
    ((1,), (512,), r"exceeds __launch_bounds__\(256\)"),
    ((0,), (32,), "invalid configuration"),
    ((1,), (2048,), "invalid configuration"),
    ((1, 70000), (32,), "invalid configuration"),
])
def test_geometry_checks(mod, grid, block, match):
    with pytest.raises(LaunchError, match=match):
        mod.get_function("block_sum")(grid, block, (f32(10), np.zeros(1, np.float32), 10))
