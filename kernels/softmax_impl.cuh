// Softmax / log-softmax device routines shared by softmax.cu and softmax_output.cu.
//
// Semantics follow MXNet 1.9.x src/operator/nn/softmax-inl.h:
//   forward   y = softmax((x - max) / T)  or  log_softmax = (x - max) / T - log(sum)
//   backward  softmax:     dx = y * (g - sum(g * y)) / T
//             log_softmax: dx = (g - exp(y) * sum(g)) / T
//   negate (softmin) feeds -x forward and negates dx. T < 0 is computed as softmax(-x / |T|)
//   (MXNet subtracts max(x) before dividing by T and overflows to NaN; we do not).
//   Non-finite values as in MXNet: a NaN or +inf in a row makes the row NaN, -inf contributes 0.
//   use_length: positions >= length[row] output 0 and get 0 gradient; lengths are clamped to
//   [0, axis length] (MXNet reads out of bounds past the axis; a zero length gives an all-zero
//   row, as in MXNet).
//
// Two layouts:
//   last axis: contiguous (rows, cols). A row group (one warp, or the whole block for long rows;
//     see common.cuh) owns a row. One read pass does an online max/sum, keeping the first
//     CACHE elements per thread in registers; the write pass takes them from registers, so rows up
//     to CACHE * group size are read from memory once. 16-byte vector loads when the pointers are
//     16-byte aligned and cols is a multiple of the vector width.
//   axis: contiguous (outer, L, inner), softmax over L. One thread owns one (outer, inner) line;
//     neighbouring threads touch neighbouring inner positions, so loads coalesce.
// Input and output may be the same buffer: every thread writes only elements it has already read.
#pragma once

#include "common.cuh"

namespace mxk {

// Elements cached in registers per thread (forward: one array; backward: two). The middle-axis
// kernels cache less: their loops carry more live state, and more spills to local memory.
template <typename T> struct SoftmaxCache {
  static const int fwd = 32;
  static const int bwd = 16;
  static const int axis = 16;
};
template <> struct SoftmaxCache<double> {
  static const int fwd = 16;
  static const int bwd = 8;
  static const int axis = 8;
};

__device__ __forceinline__ i64 clamp_len(i64 len, i64 n) {
  return len < 0 ? 0 : (len > n ? n : len);
}

template <typename A, bool LOG>
__device__ __forceinline__ A softmax_value(A v, const MaxSum<A>& st, A inv_t, A log_s) {
  const A z = (v - st.m) * inv_t;
  return LOG ? z - log_s : acc_exp(z) / st.s;
}

template <typename A, bool LOG>
__device__ __forceinline__ A softmax_grad_value(A y, A g, A sum, A scale) {
  return (LOG ? g - acc_exp(y) * sum : y * (g - sum)) * scale;
}

// ---------------------------------------------------------------------------------------------
// Last axis, one row per row group.

template <typename T, bool LOG, int CACHE, int VEC>
__device__ __forceinline__ void softmax_row_fwd(const T* x, T* y, i64 cols, i64 len,
                                                typename Acc<T>::type inv_t,
                                                typename Acc<T>::type sign,
                                                typename Acc<T>::type* smem) {
  typedef typename Acc<T>::type A;
  typedef Vec<T, VEC> V;
  const int G = blockDim.x;
  const int tid = threadIdx.x;
  const i64 nvec = cols / VEC;
  const V* xv = reinterpret_cast<const V*>(x);
  V* yv = reinterpret_cast<V*>(y);

  A cache[CACHE];
  MaxSum<A> st;
  st.m = neg_inf<A>();
  st.s = A(0);
#pragma unroll
  for (int i = 0; i < CACHE / VEC; ++i) {
    const i64 c = (i64)i * G + tid;
    if (c < nvec) {
      const V v = xv[c];
#pragma unroll
      for (int k = 0; k < VEC; ++k) {
        cache[i * VEC + k] = sign * to_acc(v.a[k]);
        if (c * VEC + k < len) ms_add(st, cache[i * VEC + k], inv_t);
      }
    }
  }
  for (i64 c = (i64)(CACHE / VEC) * G + tid; c * VEC < len; c += G) {
    const V v = xv[c];
#pragma unroll
    for (int k = 0; k < VEC; ++k) {
      if (c * VEC + k < len) ms_add(st, sign * to_acc(v.a[k]), inv_t);
    }
  }
  st = group_ms(st, inv_t, smem);
  const A log_s = LOG ? acc_log(st.s) : A(0);

#pragma unroll
  for (int i = 0; i < CACHE / VEC; ++i) {
    const i64 c = (i64)i * G + tid;
    if (c < nvec) {
      V o;
#pragma unroll
      for (int k = 0; k < VEC; ++k) {
        const A r = c * VEC + k < len
                        ? softmax_value<A, LOG>(cache[i * VEC + k], st, inv_t, log_s) : A(0);
        o.a[k] = from_acc<T>(r);
      }
      yv[c] = o;
    }
  }
  for (i64 c = (i64)(CACHE / VEC) * G + tid; c < nvec; c += G) {
    V o;
    if (c * VEC < len) {
      const V v = xv[c];
#pragma unroll
      for (int k = 0; k < VEC; ++k) {
        const A r = c * VEC + k < len
                        ? softmax_value<A, LOG>(sign * to_acc(v.a[k]), st, inv_t, log_s) : A(0);
        o.a[k] = from_acc<T>(r);
      }
    } else {
#pragma unroll
      for (int k = 0; k < VEC; ++k) o.a[k] = from_acc<T>(A(0));
    }
    yv[c] = o;
  }
}

template <typename T, bool LOG, int CACHE, int VEC>
__device__ __forceinline__ void softmax_row_bwd(const T* y, const T* g, T* dx, i64 cols, i64 len,
                                                typename Acc<T>::type scale,
                                                typename Acc<T>::type* smem) {
  typedef typename Acc<T>::type A;
  typedef Vec<T, VEC> V;
  const int G = blockDim.x;
  const int tid = threadIdx.x;
  const i64 nvec = cols / VEC;
  const V* yv = reinterpret_cast<const V*>(y);
  const V* gv = reinterpret_cast<const V*>(g);
  V* dv = reinterpret_cast<V*>(dx);

  A cy[CACHE];
  A cg[CACHE];
  A sum = A(0);
#pragma unroll
  for (int i = 0; i < CACHE / VEC; ++i) {
    const i64 c = (i64)i * G + tid;
    if (c < nvec) {
      const V a = yv[c];
      const V b = gv[c];
#pragma unroll
      for (int k = 0; k < VEC; ++k) {
        cy[i * VEC + k] = to_acc(a.a[k]);
        cg[i * VEC + k] = to_acc(b.a[k]);
        if (c * VEC + k < len) sum += LOG ? cg[i * VEC + k] : cg[i * VEC + k] * cy[i * VEC + k];
      }
    }
  }
  for (i64 c = (i64)(CACHE / VEC) * G + tid; c * VEC < len; c += G) {
    const V a = yv[c];
    const V b = gv[c];
#pragma unroll
    for (int k = 0; k < VEC; ++k) {
      if (c * VEC + k < len) sum += LOG ? to_acc(b.a[k]) : to_acc(b.a[k]) * to_acc(a.a[k]);
    }
  }
  sum = group_sum(sum, smem);

#pragma unroll
  for (int i = 0; i < CACHE / VEC; ++i) {
    const i64 c = (i64)i * G + tid;
    if (c < nvec) {
      V o;
#pragma unroll
      for (int k = 0; k < VEC; ++k) {
        const A r = c * VEC + k < len
                        ? softmax_grad_value<A, LOG>(cy[i * VEC + k], cg[i * VEC + k], sum, scale)
                        : A(0);
        o.a[k] = from_acc<T>(r);
      }
      dv[c] = o;
    }
  }
  for (i64 c = (i64)(CACHE / VEC) * G + tid; c < nvec; c += G) {
    V o;
    if (c * VEC < len) {
      const V a = yv[c];
      const V b = gv[c];
#pragma unroll
      for (int k = 0; k < VEC; ++k) {
        const A r = c * VEC + k < len
                        ? softmax_grad_value<A, LOG>(to_acc(a.a[k]), to_acc(b.a[k]), sum, scale)
                        : A(0);
        o.a[k] = from_acc<T>(r);
      }
    } else {
#pragma unroll
      for (int k = 0; k < VEC; ++k) o.a[k] = from_acc<T>(A(0));
    }
    dv[c] = o;
  }
}

// Kernel bodies. Geometry: blockDim.x threads per row (32, or a multiple of 32 with
// blockDim.y == 1), blockDim.y rows per block, rows strided over the grid.
template <typename T, bool LOG>
__device__ __forceinline__ void softmax_fwd_last(const T* x, T* y, const i64* length, i64 rows,
                                                 i64 cols, double temperature, int negate,
                                                 int use_length) {
  typedef typename Acc<T>::type A;
  __shared__ A smem[64];
  const int VW = VecWidth<T>::value;
  const int CACHE = SoftmaxCache<T>::fwd;
  // softmax(x / T) for T < 0 is softmax(-x / |T|): folding the sign into the values keeps the
  // max subtraction stable (MXNet subtracts max(x), not max(x / T), and overflows to NaN).
  const A inv_t = A(1) / A(temperature < 0 ? -temperature : temperature);
  const A sign = (negate ? A(-1) : A(1)) * (temperature < 0 ? A(-1) : A(1));
  const bool vec = cols % VW == 0 && is_aligned(x, 16) && is_aligned(y, 16);
  const i64 step = (i64)gridDim.x * blockDim.y;
  for (i64 row = (i64)blockIdx.x * blockDim.y + threadIdx.y; row < rows; row += step) {
    const i64 len = use_length ? clamp_len(length[row], cols) : cols;
    if (vec) {
      softmax_row_fwd<T, LOG, CACHE, VW>(x + row * cols, y + row * cols, cols, len, inv_t, sign,
                                         smem);
    } else {
      softmax_row_fwd<T, LOG, CACHE, 1>(x + row * cols, y + row * cols, cols, len, inv_t, sign,
                                        smem);
    }
  }
}

template <typename T, bool LOG>
__device__ __forceinline__ void softmax_bwd_last(const T* y, const T* g, T* dx, const i64* length,
                                                 i64 rows, i64 cols, double temperature,
                                                 int negate, int use_length) {
  typedef typename Acc<T>::type A;
  __shared__ A smem[32];
  const int VW = VecWidth<T>::value;
  const int CACHE = SoftmaxCache<T>::bwd;
  const A scale = (negate ? A(-1) : A(1)) / A(temperature);
  const bool vec = cols % VW == 0 && is_aligned(y, 16) && is_aligned(g, 16) &&
                   is_aligned(dx, 16);
  const i64 step = (i64)gridDim.x * blockDim.y;
  for (i64 row = (i64)blockIdx.x * blockDim.y + threadIdx.y; row < rows; row += step) {
    const i64 len = use_length ? clamp_len(length[row], cols) : cols;
    const i64 off = row * cols;
    if (vec) {
      softmax_row_bwd<T, LOG, CACHE, VW>(y + off, g + off, dx + off, cols, len, scale, smem);
    } else {
      softmax_row_bwd<T, LOG, CACHE, 1>(y + off, g + off, dx + off, cols, len, scale, smem);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Middle axis: (outer, L, inner), one thread per (outer, inner) line.

template <typename T, bool LOG>
__device__ __forceinline__ void softmax_fwd_axis(const T* x, T* y, const i64* length, i64 outer,
                                                 i64 L, i64 inner, double temperature, int negate,
                                                 int use_length) {
  typedef typename Acc<T>::type A;
  const int CACHE = SoftmaxCache<T>::axis;
  // softmax(x / T) for T < 0 is softmax(-x / |T|): folding the sign into the values keeps the
  // max subtraction stable (MXNet subtracts max(x), not max(x / T), and overflows to NaN).
  const A inv_t = A(1) / A(temperature < 0 ? -temperature : temperature);
  const A sign = (negate ? A(-1) : A(1)) * (temperature < 0 ? A(-1) : A(1));
  const i64 lines = outer * inner;
  for (i64 idx = (i64)blockIdx.x * blockDim.x + threadIdx.x; idx < lines;
       idx += (i64)gridDim.x * blockDim.x) {
    const i64 o = idx / inner;
    const i64 base = o * L * inner + (idx - o * inner);
    const i64 len = use_length ? clamp_len(length[idx], L) : L;
    A cache[CACHE];
    MaxSum<A> st;
    st.m = neg_inf<A>();
    st.s = A(0);
#pragma unroll
    for (int k = 0; k < CACHE; ++k) {
      if (k < len) {
        cache[k] = sign * to_acc(x[base + k * inner]);
        ms_add(st, cache[k], inv_t);
      }
    }
    for (i64 k = CACHE; k < len; ++k) ms_add(st, sign * to_acc(x[base + k * inner]), inv_t);
    const A log_s = LOG ? acc_log(st.s) : A(0);
#pragma unroll
    for (int k = 0; k < CACHE; ++k) {
      if (k < L) {
        const A r = k < len ? softmax_value<A, LOG>(cache[k], st, inv_t, log_s) : A(0);
        y[base + k * inner] = from_acc<T>(r);
      }
    }
    for (i64 k = CACHE; k < L; ++k) {
      const A r = k < len ? softmax_value<A, LOG>(sign * to_acc(x[base + k * inner]), st, inv_t,
                                                  log_s)
                          : A(0);
      y[base + k * inner] = from_acc<T>(r);
    }
  }
}

template <typename T, bool LOG>
__device__ __forceinline__ void softmax_bwd_axis(const T* y, const T* g, T* dx, const i64* length,
                                                 i64 outer, i64 L, i64 inner, double temperature,
                                                 int negate, int use_length) {
  typedef typename Acc<T>::type A;
  const int CACHE = SoftmaxCache<T>::axis;
  const A scale = (negate ? A(-1) : A(1)) / A(temperature);
  const i64 lines = outer * inner;
  for (i64 idx = (i64)blockIdx.x * blockDim.x + threadIdx.x; idx < lines;
       idx += (i64)gridDim.x * blockDim.x) {
    const i64 o = idx / inner;
    const i64 base = o * L * inner + (idx - o * inner);
    const i64 len = use_length ? clamp_len(length[idx], L) : L;
    A cy[CACHE];
    A cg[CACHE];
    A sum = A(0);
#pragma unroll
    for (int k = 0; k < CACHE; ++k) {
      if (k < len) {
        cy[k] = to_acc(y[base + k * inner]);
        cg[k] = to_acc(g[base + k * inner]);
        sum += LOG ? cg[k] : cg[k] * cy[k];
      }
    }
    for (i64 k = CACHE; k < len; ++k) {
      const A gk = to_acc(g[base + k * inner]);
      sum += LOG ? gk : gk * to_acc(y[base + k * inner]);
    }
#pragma unroll
    for (int k = 0; k < CACHE; ++k) {
      if (k < L) {
        const A r = k < len ? softmax_grad_value<A, LOG>(cy[k], cg[k], sum, scale) : A(0);
        dx[base + k * inner] = from_acc<T>(r);
      }
    }
    for (i64 k = CACHE; k < L; ++k) {
      const A r = k < len ? softmax_grad_value<A, LOG>(to_acc(y[base + k * inner]),
                                                       to_acc(g[base + k * inner]), sum, scale)
                          : A(0);
      dx[base + k * inner] = from_acc<T>(r);
    }
  }
}

}  // namespace mxk
