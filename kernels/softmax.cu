// softmax, log_softmax and softmin (negate=1), forward and backward; MXNet 1.9.x
// src/operator/nn/softmax-inl.h semantics (see softmax_impl.cuh for the formulas and layouts).
//
// Entry points, <dt> in {float16, float32, float64}; length is int64 (one per row / line), read
// only when use_length != 0; temperature is the MXNet value (1.0 when unset).
//   softmax_fwd_<dt>(x, y, length, rows, cols, temperature, negate, use_length)
//   log_softmax_fwd_<dt>(same)
//   softmax_bwd_<dt>(y, g, dx, length, rows, cols, temperature, negate, use_length)
//   log_softmax_bwd_<dt>(same)
//       last axis of a contiguous (rows, cols) view; block = (32, R): one warp per row, R rows
//       per block; or block = (B, 1), B a multiple of 32 <= 512: one block per row.
//   softmax_fwd_axis_<dt>(x, y, length, outer, L, inner, temperature, negate, use_length)
//   log_softmax_fwd_axis_<dt>, softmax_bwd_axis_<dt>(y, g, dx, ...), log_softmax_bwd_axis_<dt>
//       axis of length L in a contiguous (outer, L, inner) view; 1-D blocks, one thread per line.
#include "softmax_impl.cuh"

#define MXK_SOFTMAX_ENTRIES(NAME, LOG, DT, T)                                                    \
  extern "C" __global__ void __launch_bounds__(512)                                              \
      NAME##_fwd_##DT(const T* x, T* y, const long long* length, long long rows, long long cols, \
                      double temperature, int negate, int use_length) {                          \
    mxk::softmax_fwd_last<T, LOG>(x, y, length, rows, cols, temperature, negate, use_length);    \
  }                                                                                              \
  extern "C" __global__ void __launch_bounds__(512)                                              \
      NAME##_bwd_##DT(const T* y, const T* g, T* dx, const long long* length, long long rows,    \
                      long long cols, double temperature, int negate, int use_length) {          \
    mxk::softmax_bwd_last<T, LOG>(y, g, dx, length, rows, cols, temperature, negate,             \
                                  use_length);                                                   \
  }                                                                                              \
  extern "C" __global__ void __launch_bounds__(512)                                              \
      NAME##_fwd_axis_##DT(const T* x, T* y, const long long* length, long long outer,           \
                           long long L, long long inner, double temperature, int negate,         \
                           int use_length) {                                                     \
    mxk::softmax_fwd_axis<T, LOG>(x, y, length, outer, L, inner, temperature, negate,            \
                                  use_length);                                                   \
  }                                                                                              \
  extern "C" __global__ void __launch_bounds__(512)                                              \
      NAME##_bwd_axis_##DT(const T* y, const T* g, T* dx, const long long* length,               \
                           long long outer, long long L, long long inner, double temperature,    \
                           int negate, int use_length) {                                         \
    mxk::softmax_bwd_axis<T, LOG>(y, g, dx, length, outer, L, inner, temperature, negate,        \
                                  use_length);                                                   \
  }

MXK_SOFTMAX_ENTRIES(softmax, false, float16, __half)
MXK_SOFTMAX_ENTRIES(softmax, false, float32, float)
MXK_SOFTMAX_ENTRIES(softmax, false, float64, double)
MXK_SOFTMAX_ENTRIES(log_softmax, true, float16, __half)
MXK_SOFTMAX_ENTRIES(log_softmax, true, float32, float)
MXK_SOFTMAX_ENTRIES(log_softmax, true, float64, double)
