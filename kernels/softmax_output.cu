// SoftmaxOutput forward and fused backward; MXNet 1.9.x src/operator/softmax_output-inl.h with
// mshadow's SoftmaxGrad / SmoothSoftmaxGrad (3rdparty/mshadow/mshadow/cuda/tensor_gpu-inl.cuh).
//
// Entry points, <dt> in {float16, float32, float64}:
//   softmax_output_fwd_<dt>(x, y, rows, cols)
//       softmax over the last axis of a contiguous (rows, cols) view; block (32, R) or (B, 1) as
//       for softmax_fwd_<dt>.
//   softmax_output_fwd_multi_<dt>(x, y, n, k, s)
//       multi_output: softmax over axis 1 of a contiguous (n, k, s) view; 1-D blocks.
//   softmax_output_count_<dt>(label, nlabel, ignore_label, count)
//       count[0] = number of labels whose int truncation != ignore_label (normalization 'valid';
//       MXNet counts this even when use_ignore is off). One block, blockDim.x a multiple of 32.
//   softmax_output_bwd_<dt>(prob, label, grad, n, k, s, scale, valid_count, use_valid,
//                           use_ignore, ignore_label, smooth_alpha, out_grad)
//       grad[i, c, j] = (prob - target) * scale' for the (n, k, s) view (s = 1 for 2-D), with
//       label[i, j] truncated to int; target = 1 at the label class, else 0 (smooth_alpha != 0:
//       1 - alpha at the label class, alpha / (k - 1) elsewhere); a label outside [0, k) matches
//       no class; use_ignore: rows whose label == ignore_label get 0. scale' = scale, or
//       scale / max(count[0], 1) when use_valid. out_grad != 0 multiplies by prob as well (the
//       MXNet out_grad bug). The host folds grad_scale, 'batch' and the multi_output spatial
//       division into scale, in float32 as MXNet does. Grid-stride, any 1-D geometry.
#include "softmax_impl.cuh"

namespace mxk {

template <typename T>
__device__ __forceinline__ void softmax_output_count(const T* label, i64 nlabel, int ignore,
                                                     long long* count) {
  __shared__ long long smem[32];
  long long valid = 0;
  for (i64 i = threadIdx.x; i < nlabel; i += blockDim.x) {
    valid += label_to_int(to_acc(label[i])) != ignore;
  }
  valid = group_sum(valid, smem);
  if (threadIdx.x == 0) count[0] = valid;
}

// IdxT: 32-bit index arithmetic when the array allows it (64-bit division is several times
// slower and this kernel does one per element).
template <typename T, typename IdxT>
__device__ __forceinline__ void softmax_output_bwd_impl(const T* prob, const T* label, T* grad,
                                                        IdxT n, IdxT k, IdxT s, float scale,
                                                        int use_ignore, int ignore, float alpha,
                                                        int out_grad) {
  typedef typename Acc<T>::type A;
  const A sc = A(scale);
  // mshadow computes alpha / (k - 1) in float; the plain (alpha == 0) path never divides.
  const float smooth = alpha != 0.0f ? alpha / (float)(k - 1) : 0.0f;
  const IdxT ks = k * s;
  const IdxT total = n * ks;
  for (IdxT idx = (IdxT)blockIdx.x * blockDim.x + threadIdx.x; idx < total;
       idx += (IdxT)gridDim.x * blockDim.x) {
    IdxT cls, lab_idx;
    if (s == 1) {
      lab_idx = idx / k;
      cls = idx - lab_idx * k;
    } else {
      const IdxT row = idx / ks;
      const IdxT rem = idx - row * ks;
      cls = rem / s;
      lab_idx = row * s + (rem - cls * s);
    }
    const int lab = label_to_int(to_acc(label[lab_idx]));
    const A p = to_acc(prob[idx]);
    A g;
    if (use_ignore && lab == ignore) {
      g = A(0);
    } else if (alpha != 0.0f) {
      g = (i64)cls == lab ? p - A(1) + A(alpha) : p - A(smooth);
    } else {
      g = (i64)cls == lab ? p - A(1) : p;
    }
    g *= sc;
    if (out_grad) g *= p;
    grad[idx] = from_acc<T>(g);
  }
}

template <typename T>
__device__ __forceinline__ void softmax_output_bwd(const T* prob, const T* label, T* grad, i64 n,
                                                   i64 k, i64 s, float scale,
                                                   const long long* valid_count, int use_valid,
                                                   int use_ignore, int ignore, float alpha,
                                                   int out_grad) {
  if (use_valid) {
    const long long c = valid_count[0];
    scale = scale / (float)(c < 1 ? 1 : c);
  }
  // The grid-stride index may overshoot the total by one grid before the loop test.
  const i64 limit = n * k * s + (i64)gridDim.x * blockDim.x;
  if (limit <= 0xffffffffLL) {
    softmax_output_bwd_impl<T, unsigned int>(prob, label, grad, (unsigned int)n, (unsigned int)k,
                                             (unsigned int)s, scale, use_ignore, ignore, alpha,
                                             out_grad);
  } else {
    softmax_output_bwd_impl<T, i64>(prob, label, grad, n, k, s, scale, use_ignore, ignore, alpha,
                                    out_grad);
  }
}

}  // namespace mxk

#define MXK_SOFTMAX_OUTPUT_ENTRIES(DT, T)                                                        \
  extern "C" __global__ void __launch_bounds__(512)                                              \
      softmax_output_fwd_##DT(const T* x, T* y, long long rows, long long cols) {                \
    mxk::softmax_fwd_last<T, false>(x, y, nullptr, rows, cols, 1.0, 0, 0);                       \
  }                                                                                              \
  extern "C" __global__ void __launch_bounds__(512)                                              \
      softmax_output_fwd_multi_##DT(const T* x, T* y, long long n, long long k, long long s) {   \
    mxk::softmax_fwd_axis<T, false>(x, y, nullptr, n, k, s, 1.0, 0, 0);                          \
  }                                                                                              \
  extern "C" __global__ void __launch_bounds__(1024)                                             \
      softmax_output_count_##DT(const T* label, long long nlabel, int ignore_label,              \
                                long long* count) {                                              \
    mxk::softmax_output_count<T>(label, nlabel, ignore_label, count);                            \
  }                                                                                              \
  extern "C" __global__ void __launch_bounds__(512)                                              \
      softmax_output_bwd_##DT(const T* prob, const T* label, T* grad, long long n, long long k,  \
                              long long s, float scale, const long long* valid_count,            \
                              int use_valid, int use_ignore, int ignore_label,                   \
                              float smooth_alpha, int out_grad) {                                \
    mxk::softmax_output_bwd<T>(prob, label, grad, n, k, s, scale, valid_count, use_valid,        \
                               use_ignore, ignore_label, smooth_alpha, out_grad);                \
  }

MXK_SOFTMAX_OUTPUT_ENTRIES(float16, __half)
MXK_SOFTMAX_OUTPUT_ENTRIES(float32, float)
MXK_SOFTMAX_OUTPUT_ENTRIES(float64, double)
