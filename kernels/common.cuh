// Shared device helpers for mxlite's kernels: dtype traits, half conversions, math overloads and
// warp/block reductions. Header only; every .cu includes it and compiles standalone under NVRTC
// (no host code, no C++ standard headers). float16 values are widened to float for arithmetic and
// accumulation, as MXNet does with MXNET_SAFE_ACCUMULATION=1.
#pragma once

#include <cuda_fp16.h>

namespace mxk {

typedef long long i64;

// Arithmetic / accumulation type per storage type.
template <typename T> struct Acc { typedef float type; };
template <> struct Acc<double> { typedef double type; };

__device__ __forceinline__ float to_acc(__half v) { return __half2float(v); }
__device__ __forceinline__ float to_acc(float v) { return v; }
__device__ __forceinline__ double to_acc(double v) { return v; }

template <typename T> __device__ __forceinline__ T from_acc(typename Acc<T>::type v);
template <> __device__ __forceinline__ __half from_acc<__half>(float v) {
  return __float2half_rn(v);
}
template <> __device__ __forceinline__ float from_acc<float>(float v) { return v; }
template <> __device__ __forceinline__ double from_acc<double>(double v) { return v; }

// Round an accumulator value through the storage type (what a stored-then-reloaded value is).
template <typename T>
__device__ __forceinline__ typename Acc<T>::type round_trip(typename Acc<T>::type v) {
  return to_acc(from_acc<T>(v));
}

__device__ __forceinline__ float acc_exp(float v) { return expf(v); }
__device__ __forceinline__ double acc_exp(double v) { return exp(v); }
__device__ __forceinline__ float acc_log(float v) { return logf(v); }
__device__ __forceinline__ double acc_log(double v) { return log(v); }
__device__ __forceinline__ float acc_expm1(float v) { return expm1f(v); }
__device__ __forceinline__ double acc_expm1(double v) { return expm1(v); }

template <typename A> __device__ __forceinline__ A neg_inf();
template <> __device__ __forceinline__ float neg_inf<float>() { return __int_as_float(0xff800000); }
template <> __device__ __forceinline__ double neg_inf<double>() {
  return __longlong_as_double(0xfff0000000000000LL);
}

// Labels are stored in the data dtype; MXNet truncates them with static_cast<int>. A NaN label
// must match no class (x86 gives INT_MIN there; the GPU conversion would give 0).
__device__ __forceinline__ int label_to_int(float v) {
  return v != v ? (-2147483647 - 1) : __float2int_rz(v);
}
__device__ __forceinline__ int label_to_int(double v) {
  return v != v ? (-2147483647 - 1) : __double2int_rz(v);
}

// Aligned vector of N storage elements, for 16-byte global loads and stores.
template <typename T, int N> struct alignas(sizeof(T) * N) Vec { T a[N]; };

template <typename T> struct VecWidth { static const int value = 16 / sizeof(T); };

__device__ __forceinline__ bool is_aligned(const void* p, int bytes) {
  return (reinterpret_cast<unsigned long long>(p) & (unsigned long long)(bytes - 1)) == 0ULL;
}

// ---------------------------------------------------------------------------------------------
// Reductions. A "row group" is blockDim.x threads working on one row: one warp (blockDim.x == 32,
// several rows per block along y) or the whole block (blockDim.y == 1, blockDim.x a multiple of
// 32, at most 1024). Results are returned to every thread of the group. The combination order is
// fixed by the launch geometry, so results are deterministic.

template <typename A> __device__ __forceinline__ A warp_sum(A v) {
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
  return v;
}

// Running (max, sum of exp((x - max) * inv_t)) pair of an online softmax.
template <typename A> struct MaxSum {
  A m;
  A s;
};

// s * exp((m_from - m_to) * inv_t), with an empty partial (s = 0, m_from = -inf) giving 0 rather
// than the NaN of exp(-inf + inf). A partial whose first value was NaN keeps m_from = -inf (NaN
// never compares greater) with s = NaN; it must stay NaN, so the test is on s, not on m_from.
template <typename A> __device__ __forceinline__ A rescale(A s, A m_from, A m_to, A inv_t) {
  return s == A(0) ? A(0) : s * acc_exp((m_from - m_to) * inv_t);
}

// Add one value to the running pair; when the max grows the sum is rescaled to the new max.
// NaN inputs poison the sum, as in MXNet; -inf inputs contribute exactly 0. A new max x adds
// exp((x - x) * inv_t): 1, or NaN for x = +inf, since MXNet's exp(x - max) is NaN there too.
template <typename A> __device__ __forceinline__ void ms_add(MaxSum<A>& st, A x, A inv_t) {
  if (x > st.m) {
    st.s = rescale(st.s, st.m, x, inv_t) + (x - x + A(1));
    st.m = x;
  } else if (x != neg_inf<A>()) {
    st.s += acc_exp((x - st.m) * inv_t);
  }
}

template <typename A>
__device__ __forceinline__ MaxSum<A> ms_merge(MaxSum<A> a, MaxSum<A> b, A inv_t) {
  MaxSum<A> r;
  r.m = b.m > a.m ? b.m : a.m;
  r.s = rescale(a.s, a.m, r.m, inv_t) + rescale(b.s, b.m, r.m, inv_t);
  return r;
}

template <typename A> __device__ __forceinline__ MaxSum<A> warp_ms(MaxSum<A> st, A inv_t) {
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) {
    MaxSum<A> o;
    o.m = __shfl_xor_sync(0xffffffffu, st.m, off);
    o.s = __shfl_xor_sync(0xffffffffu, st.s, off);
    st = ms_merge(st, o, inv_t);
  }
  return st;
}

// Sum over the row group. smem: at least 32 elements of block-shared scratch.
template <typename A> __device__ __forceinline__ A group_sum(A v, A* smem) {
  v = warp_sum(v);
  if (blockDim.x > 32) {
    const int lane = threadIdx.x & 31;
    const int nwarps = blockDim.x >> 5;
    __syncthreads();  // smem may still be read by a previous reduction
    if (lane == 0) smem[threadIdx.x >> 5] = v;
    __syncthreads();
    // Every warp reduces all partials itself, so no broadcast round is needed.
    v = warp_sum(lane < nwarps ? smem[lane] : A(0));
  }
  return v;
}

// (max, sum) over the row group. smem: at least 64 elements of block-shared scratch.
template <typename A>
__device__ __forceinline__ MaxSum<A> group_ms(MaxSum<A> st, A inv_t, A* smem) {
  st = warp_ms(st, inv_t);
  if (blockDim.x > 32) {
    const int lane = threadIdx.x & 31;
    const int nwarps = blockDim.x >> 5;
    __syncthreads();
    if (lane == 0) {
      smem[threadIdx.x >> 5] = st.m;
      smem[32 + (threadIdx.x >> 5)] = st.s;
    }
    __syncthreads();
    MaxSum<A> p;
    p.m = lane < nwarps ? smem[lane] : neg_inf<A>();
    p.s = lane < nwarps ? smem[32 + lane] : A(0);
    st = warp_ms(p, inv_t);
  }
  return st;
}

}  // namespace mxk
