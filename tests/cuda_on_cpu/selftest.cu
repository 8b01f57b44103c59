// Kernels for the harness self-tests (tests/test_cuda_on_cpu_harness.py): a few correct ones, and
// one deliberately broken kernel per detector. The tests match on the MARK comments' lines.
#include <cuda_fp16.h>

// ---- correct kernels -------------------------------------------------------------------------

// out[block] = sum of x over the block's slice of n elements (warp shuffles + shared memory).
extern "C" __global__ void __launch_bounds__(256) block_sum(const float* x, float* out,
                                                            long long n) {
  __shared__ float part[32];
  float v = 0.0f;
  for (long long i = threadIdx.x; i < n; i += blockDim.x) v += x[blockIdx.x * n + i];
  for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
  if ((threadIdx.x & 31) == 0) part[threadIdx.x >> 5] = v;
  __syncthreads();
  if (threadIdx.x < 32) {
    v = threadIdx.x < blockDim.x / 32 ? part[threadIdx.x] : 0.0f;
    for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
    if (threadIdx.x == 0) out[blockIdx.x] = v;
  }
}

// Every warp intrinsic once: out has 8 ints per thread.
extern "C" __global__ void warp_ops(const int* x, int* out) {
  const int t = threadIdx.x;
  const int v = x[t];
  int* o = out + 8 * t;
  o[0] = __shfl_sync(0xffffffffu, v, 3);
  o[1] = __shfl_up_sync(0xffffffffu, v, 2);
  o[2] = __shfl_down_sync(0xffffffffu, v, 5, 16);
  o[3] = __shfl_xor_sync(0xffffffffu, v, 1);
  o[4] = (int)__ballot_sync(0xffffffffu, v > 10);
  o[5] = __any_sync(0xffffffffu, v == 7);
  o[6] = __all_sync(0xffffffffu, v >= 0);
  // Half-warp shuffle with a half-warp mask: legal.
  o[7] = (t & 31) < 16 ? __shfl_xor_sync(0x0000ffffu, v, 8) : __shfl_xor_sync(0xffff0000u, v, 8);
}

// Histogram with atomics; in-place scaling of one buffer (x may alias y).
extern "C" __global__ void histogram(const int* x, int* bins, long long n) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
       i += (long long)gridDim.x * blockDim.x) {
    atomicAdd(bins + x[i], 1);
  }
}

extern "C" __global__ void scale(const float* x, float* y, long long n, float a) {
  const long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i < n) y[i] = a * x[i];
}

extern "C" __global__ void half_round_trip(const __half* x, __half* y, long long n) {
  const long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i < n) y[i] = __float2half_rn(__half2float(x[i]) * 3.0f);
}

// ---- broken kernels ---------------------------------------------------------------------------

// Race: reads a neighbour's shared slot with no barrier after the writes.
extern "C" __global__ void race(const float* x, float* out) {
  __shared__ float s[256];
  s[threadIdx.x] = x[threadIdx.x];
  out[threadIdx.x] = s[(threadIdx.x + 1) % blockDim.x];  // MARK race
}

// Race: shared memory reused by the next round with no barrier after the reads.
extern "C" __global__ void reuse_without_barrier(const float* x, float* out, int rounds) {
  __shared__ float s[256];
  for (int r = 0; r < rounds; ++r) {
    s[threadIdx.x] = x[r * blockDim.x + threadIdx.x];
    __syncthreads();
    out[r * blockDim.x + threadIdx.x] = s[blockDim.x - 1 - threadIdx.x];
  }
}

// Divergent barrier: half the block skips it.
extern "C" __global__ void skipped_barrier(float* out) {
  if (threadIdx.x < 16) __syncthreads();  // MARK skipped
  out[threadIdx.x] = 1.0f;
}

// Divergent barrier: the two halves wait at different barriers.
extern "C" __global__ void split_barrier(float* out) {
  if (threadIdx.x < 64) {
    __syncthreads();  // MARK split-a
  } else {
    __syncthreads();  // MARK split-b
  }
  out[threadIdx.x] = 1.0f;
}

// Partial-warp mask: the lanes in the mask read lanes outside it.
extern "C" __global__ void mask_too_small(const float* x, float* out) {
  float v = x[threadIdx.x];
  if ((threadIdx.x & 31) < 16) v += __shfl_xor_sync(0x0000ffffu, v, 16);  // MARK small-mask
  out[threadIdx.x] = v;
}

// Partial-warp mask: a full mask while half the warp has exited.
extern "C" __global__ void mask_names_exited(const float* x, float* out) {
  if ((threadIdx.x & 31) >= 16) return;
  float v = x[threadIdx.x];
  v += __shfl_xor_sync(0xffffffffu, v, 1);  // MARK exited-lanes
  out[threadIdx.x] = v;
}

// Partial-warp mask: a full mask in a block of 48 threads (the second warp has 16 lanes).
extern "C" __global__ void mask_names_absent(const float* x, float* out) {
  float v = x[threadIdx.x];
  v += __shfl_down_sync(0xffffffffu, v, 1);  // MARK absent-lanes
  out[threadIdx.x] = v;
}

// Out-of-bounds tail: off by one.
extern "C" __global__ void tail_off_by_one(const float* x, float* y, long long n) {
  const long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i <= n) y[i] = 2.0f * x[i];  // MARK tail
}

// Shared-memory overflow: 32 slots, one per thread of a 64-thread block.
extern "C" __global__ void smem_overflow(const float* x, float* out) {
  __shared__ float s[32];
  s[threadIdx.x] = x[threadIdx.x];  // MARK smem
  __syncthreads();
  out[threadIdx.x] = s[threadIdx.x % 32];
}

// Shared-memory overflow through a pointer handed to a helper (UBSan object-size).
template <typename A> __device__ __forceinline__ void store_partial(A* smem, int i, A v) {
  smem[32 + i] = v;  // MARK smem-pointer
}
extern "C" __global__ void smem_overflow_via_pointer(const float* x, float* out) {
  __shared__ float s[40];
  store_partial(s, threadIdx.x, x[threadIdx.x]);
  __syncthreads();
  out[threadIdx.x] = s[threadIdx.x % 40];
}

// Misaligned vector load: 16-byte loads without checking the pointer's alignment.
struct alignas(16) Float4 {
  float a[4];
};
extern "C" __global__ void vector_copy(const float* x, float* y, long long n4) {
  const long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i < n4) {
    const Float4 v = reinterpret_cast<const Float4*>(x)[i];  // MARK vector
    for (int k = 0; k < 4; ++k) y[4 * i + k] = v.a[k];
  }
}

// Uninitialised shared memory: slot 31 is never written.
extern "C" __global__ void uninitialised_shared(float* out) {
  __shared__ float s[32];
  if (threadIdx.x < 31) s[threadIdx.x] = 1.0f;
  __syncthreads();
  out[threadIdx.x] = s[threadIdx.x] > 0.0f ? 1.0f : 0.0f;
}

// Writes through a const pointer (cast away).
extern "C" __global__ void writes_input(const float* x, float* y) {
  const_cast<float*>(x)[threadIdx.x] = 0.0f;
  y[threadIdx.x] = 1.0f;
}

// Divergent warp intrinsic: the two half-warps shuffle at different lines with a full mask.
extern "C" __global__ void divergent_shuffle(const float* x, float* out) {
  float v = x[threadIdx.x];
  if ((threadIdx.x & 31) < 16) {
    v = __shfl_xor_sync(0xffffffffu, v, 1);  // MARK shuffle-a
  } else {
    v = __shfl_xor_sync(0xffffffffu, v, 2);  // MARK shuffle-b
  }
  out[threadIdx.x] = v;
}

// Deadlock: half a warp waits in a shuffle for lanes that wait at a barrier.
extern "C" __global__ void shuffle_vs_barrier(const float* x, float* out) {
  float v = x[threadIdx.x];
  if ((threadIdx.x & 31) < 16) {
    v = __shfl_xor_sync(0xffffffffu, v, 16);  // MARK deadlock-shuffle
  } else {
    __syncthreads();  // MARK deadlock-barrier
  }
  out[threadIdx.x] = v;
}
