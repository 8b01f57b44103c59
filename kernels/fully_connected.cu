// FullyConnected backward helper: the backward of the following activation fused with the bias
// gradient. With y = act(fc_out) and head gradient g over a contiguous (rows, cols) view:
//   d[r, c]  = g[r, c] * act'(y[r, c])      (written out; the weight and data GEMMs need it)
//   db[c]    = sum over r of d[r, c]
// act' is taken from the activation *output*, as MXNet's Activation backward does
// (src/operator/nn/activation-inl.h, mshadow_op *_grad): relu y > 0, sigmoid y (1 - y),
// tanh 1 - y^2, softrelu -expm1(-y), identity 1. float16 sums accumulate in float32; db sums the
// stored (rounded) d so it equals a separate column sum of d.
//
// Deterministic two-pass reduction, no atomics:
//   fc_bias_bwd_<act>_<dt>(g, y, d, partial, db, rows, cols, rows_per_chunk, write_d, direct)
//       block (32, 8): 32 adjacent columns x 8 row lanes; grid (ceil(cols / 32), nchunks). Block
//       (bx, by) handles rows [by * rows_per_chunk, (by + 1) * rows_per_chunk) of its columns and
//       writes their sum to partial[by * cols + c] (float32; float64 for <dt> = float64), or,
//       when direct != 0 (nchunks == 1), straight to db[c]. write_d == 0 skips writing d (act
//       identity: d is g itself). y is not read for identity.
//   fc_bias_bwd_finalize_<dt>(partial, db, nchunks, cols)
//       db[c] = sum over chunks of partial[chunk * cols + c], in chunk order; 1-D grid over cols.
// <act> in {identity, relu, sigmoid, tanh, softrelu}; <dt> in {float16, float32, float64}.
#include "common.cuh"

namespace mxk {

enum Act { kIdentity = 0, kRelu = 1, kSigmoid = 2, kTanh = 3, kSoftrelu = 4 };

template <int ACT, typename A> __device__ __forceinline__ A act_grad(A y) {
  if (ACT == kRelu) return y > A(0) ? A(1) : A(0);
  if (ACT == kSigmoid) return y * (A(1) - y);
  if (ACT == kTanh) return A(1) - y * y;
  if (ACT == kSoftrelu) return -acc_expm1(-y);
  return A(1);
}

const int kFcCols = 32;  // blockDim.x
const int kFcLanes = 8;  // blockDim.y

template <typename T, int ACT>
__device__ __forceinline__ void fc_bias_bwd(const T* g, const T* y, T* d,
                                            typename Acc<T>::type* partial, T* db, i64 rows,
                                            i64 cols, i64 rows_per_chunk, int write_d,
                                            int direct) {
  typedef typename Acc<T>::type A;
  __shared__ A smem[kFcLanes][kFcCols + 1];
  const i64 col = (i64)blockIdx.x * kFcCols + threadIdx.x;
  const i64 r0 = (i64)blockIdx.y * rows_per_chunk;
  const i64 r1 = r0 + rows_per_chunk < rows ? r0 + rows_per_chunk : rows;
  A acc = A(0);
  if (col < cols) {
    for (i64 r = r0 + threadIdx.y; r < r1; r += kFcLanes) {
      const i64 i = r * cols + col;
      A v = to_acc(g[i]);
      if (ACT != kIdentity) v = round_trip<T>(v * act_grad<ACT>(to_acc(y[i])));
      if (write_d) d[i] = from_acc<T>(v);
      acc += v;
    }
  }
  smem[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && col < cols) {
    A s = smem[0][threadIdx.x];
#pragma unroll
    for (int l = 1; l < kFcLanes; ++l) s += smem[l][threadIdx.x];
    if (direct) {
      db[col] = from_acc<T>(s);
    } else {
      partial[(i64)blockIdx.y * cols + col] = s;
    }
  }
}

template <typename T>
__device__ __forceinline__ void fc_bias_bwd_finalize(const typename Acc<T>::type* partial, T* db,
                                                     i64 nchunks, i64 cols) {
  typedef typename Acc<T>::type A;
  for (i64 c = (i64)blockIdx.x * blockDim.x + threadIdx.x; c < cols;
       c += (i64)gridDim.x * blockDim.x) {
    A s = A(0);
    for (i64 k = 0; k < nchunks; ++k) s += partial[k * cols + c];
    db[c] = from_acc<T>(s);
  }
}

}  // namespace mxk

#define MXK_FC_ACT_ENTRY(ACTNAME, ACT, DT, T)                                                    \
  extern "C" __global__ void __launch_bounds__(256)                                              \
      fc_bias_bwd_##ACTNAME##_##DT(const T* g, const T* y, T* d,                                 \
                                   mxk::Acc<T>::type* partial, T* db, long long rows,            \
                                   long long cols, long long rows_per_chunk, int write_d,        \
                                   int direct) {                                                 \
    mxk::fc_bias_bwd<T, ACT>(g, y, d, partial, db, rows, cols, rows_per_chunk, write_d,          \
                             direct);                                                            \
  }

#define MXK_FC_ENTRIES(DT, T)                                                                    \
  MXK_FC_ACT_ENTRY(identity, mxk::kIdentity, DT, T)                                              \
  MXK_FC_ACT_ENTRY(relu, mxk::kRelu, DT, T)                                                      \
  MXK_FC_ACT_ENTRY(sigmoid, mxk::kSigmoid, DT, T)                                                \
  MXK_FC_ACT_ENTRY(tanh, mxk::kTanh, DT, T)                                                      \
  MXK_FC_ACT_ENTRY(softrelu, mxk::kSoftrelu, DT, T)                                              \
  extern "C" __global__ void __launch_bounds__(256)                                              \
      fc_bias_bwd_finalize_##DT(const mxk::Acc<T>::type* partial, T* db, long long nchunks,      \
                                long long cols) {                                                \
    mxk::fc_bias_bwd_finalize<T>(partial, db, nchunks, cols);                                    \
  }

MXK_FC_ENTRIES(float16, __half)
MXK_FC_ENTRIES(float32, float)
MXK_FC_ENTRIES(float64, double)
