// CUDA built-ins for running kernels/*.cu on a CPU. Force-included (g++ -include) before a .cu
// source, which is compiled as C++20 into a shared library; tests/cuda_on_cpu/build.py appends
// one MXCPU_KERNEL(name, bounds) line per extern "C" __global__ function it found.
//
// Execution model (a strict device, not a fast one):
//   * one block at a time; every CUDA thread of the block is a fiber (its own stack, switched with
//     _setjmp/_longjmp after a ucontext start) on the calling OS thread;
//   * a fiber runs until it reaches __syncthreads, a warp intrinsic or its end; __syncthreads is
//     released only when every live thread of the block waits at the same source line, a warp
//     intrinsic only when every lane named in its mask waits at the same intrinsic, line and mask;
//     anything else (a lane that exited or does not exist, a barrier some threads skip, a cycle of
//     waits) stops the launch with an error naming the kernel, the line, the block and the lanes;
//   * __shared__ variables are function-local statics (one copy, as blocks run one at a time);
//     the build script lists them from the symbol table and each is overwritten with a fill byte
//     before every block (NaN for every float type in the first run);
//   * the caller runs each launch twice and compares: blocks and threads in forward order with
//     the block's threads in lockstep from one wait to the next, then in reverse order with each
//     warp running as far as it can before the next one starts;
//   * faults (guard pages, UBSan traps, stack overflow) are caught and reported, not fatal.
#pragma once

#ifdef MXCPU_SCAN
// Scan mode (g++ -E): keep markers the build script can find in the preprocessed text.
#define __global__ __mxcpu_global__
#define __launch_bounds__(...) __mxcpu_bounds__(__VA_ARGS__)
#else

#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>
#include <dlfcn.h>

#include <cstdio>
#include <limits>
#include <source_location>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __noinline__ __attribute__((noinline))
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __restrict__ __restrict
#define __shared__ static
#define __constant__ static

struct uint3 {
  unsigned int x, y, z;
};
struct dim3 {
  unsigned int x = 1, y = 1, z = 1;
};

inline uint3 threadIdx;
inline uint3 blockIdx;
inline dim3 blockDim;
inline dim3 gridDim;
constexpr int warpSize = 32;

// ------------------------------------------------------------------------------------------------
// float16 over the compiler's _Float16 (IEEE binary16; conversions round to nearest even).
struct __half {
  _Float16 v;
  __half() = default;
  __half(float f) : v(static_cast<_Float16>(f)) {}
  __half(double f) : v(static_cast<_Float16>(f)) {}
  operator float() const { return static_cast<float>(v); }
};
static_assert(sizeof(__half) == 2, "__half must be 2 bytes");
inline float __half2float(__half h) { return static_cast<float>(h.v); }
inline __half __float2half(float f) { return __half(f); }
inline __half __float2half_rn(float f) { return __half(f); }
inline __half __double2half(double f) { return __half(f); }

// ------------------------------------------------------------------------------------------------
// Bit casts, conversions and math intrinsics.
inline float __int_as_float(int v) { float f; memcpy(&f, &v, 4); return f; }
inline int __float_as_int(float v) { int i; memcpy(&i, &v, 4); return i; }
inline unsigned int __float_as_uint(float v) { unsigned int i; memcpy(&i, &v, 4); return i; }
inline float __uint_as_float(unsigned int v) { float f; memcpy(&f, &v, 4); return f; }
inline double __longlong_as_double(long long v) { double f; memcpy(&f, &v, 8); return f; }
inline long long __double_as_longlong(double v) { long long i; memcpy(&i, &v, 8); return i; }

namespace mxcpu {
// The GPU's float -> int conversions saturate and map NaN to 0 (C++ leaves both undefined).
template <typename I, typename F> inline I saturate(F v) {
  if (v != v) return 0;
  if (v <= static_cast<F>(std::numeric_limits<I>::min())) return std::numeric_limits<I>::min();
  if (v >= static_cast<F>(std::numeric_limits<I>::max())) return std::numeric_limits<I>::max();
  return static_cast<I>(v);
}
}  // namespace mxcpu
inline int __float2int_rz(float v) { return mxcpu::saturate<int>(truncf(v)); }
inline int __double2int_rz(double v) { return mxcpu::saturate<int>(trunc(v)); }
inline int __float2int_rn(float v) { return mxcpu::saturate<int>(nearbyintf(v)); }
inline int __double2int_rn(double v) { return mxcpu::saturate<int>(nearbyint(v)); }
inline long long __float2ll_rz(float v) { return mxcpu::saturate<long long>(truncf(v)); }
inline long long __double2ll_rz(double v) { return mxcpu::saturate<long long>(trunc(v)); }
inline float __expf(float v) { return expf(v); }
inline float __logf(float v) { return logf(v); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __saturatef(float v) { return v != v ? 0.0f : (v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v)); }
inline float rsqrtf(float v) { return 1.0f / sqrtf(v); }
inline double rsqrt(double v) { return 1.0 / sqrt(v); }
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned int min(unsigned int a, unsigned int b) { return a < b ? a : b; }
inline unsigned int max(unsigned int a, unsigned int b) { return a > b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline float min(float a, float b) { return fminf(a, b); }
inline float max(float a, float b) { return fmaxf(a, b); }
inline double min(double a, double b) { return fmin(a, b); }
inline double max(double a, double b) { return fmax(a, b); }
template <typename T> inline T __ldg(const T* p) { return *p; }
inline void __threadfence() {}
inline void __threadfence_block() {}

// ------------------------------------------------------------------------------------------------
// The fiber scheduler.
namespace mxcpu {

enum State { kRunnable = 0, kBarrier = 1, kWarp = 2, kDone = 3 };
enum WarpOp { kShflIdx, kShflUp, kShflDown, kShflXor, kBallot, kAny, kAll, kSyncwarp };
inline const char* const kWarpOpName[] = {"__shfl_sync",  "__shfl_up_sync",  "__shfl_down_sync",
                                          "__shfl_xor_sync", "__ballot_sync", "__any_sync",
                                          "__all_sync",   "__syncwarp"};

struct Fiber {
  jmp_buf ctx;
  bool started = false;
  char* stack = nullptr;  // mapping base (a PROT_NONE guard page, then the stack)
  int state = kDone;
  const char* file = "";
  int line = 0;
  int op = 0;
  unsigned int mask = 0;
  unsigned long long value = 0;  // the lane's operand
  int arg = 0;                   // source lane / delta / lane mask
  int width = 32;
  unsigned long long result = 0;
};

constexpr size_t kStackBytes = 256 * 1024;
constexpr int kMaxThreads = 1024;

struct Kernel {
  std::string name;
  std::string signature;  // parameter types, ';'-separated
  int nargs;
  int bounds;  // __launch_bounds__ max threads, 0 when absent
  void* fn;
  void (*call)(void* fn, void** args);
};

inline std::vector<Kernel>& kernels() {
  static std::vector<Kernel> k;
  return k;
}

struct Launch {
  const Kernel* kernel = nullptr;
  void** args = nullptr;
  int nthreads = 0;
  int current = -1;  // fiber running now (-1: the scheduler)
  bool reverse = false;
  jmp_buf sched;
  sigjmp_buf fault;
  volatile sig_atomic_t faulting = 0;
  char* error = nullptr;
  int error_len = 0;
  long long* fault_info = nullptr;
  Fiber fibers[kMaxThreads];
};
inline Launch L;

inline size_t page_size() { return static_cast<size_t>(sysconf(_SC_PAGESIZE)); }

template <typename... A> inline void fail(const char* fmt, A... a) {
  if (L.error && L.error[0] == 0) snprintf(L.error, L.error_len, fmt, a...);
}

inline void yield() {
  Fiber& f = L.fibers[L.current];
  if (!_setjmp(f.ctx)) _longjmp(L.sched, 1);
}

inline void fiber_main() {
  for (;;) {
    L.kernel->call(L.kernel->fn, L.args);
    L.fibers[L.current].state = kDone;
    yield();
  }
}

// Thread index of fiber i within the block.
inline uint3 thread_index(int i) {
  uint3 t;
  t.x = i % blockDim.x;
  t.y = (i / blockDim.x) % blockDim.y;
  t.z = i / (blockDim.x * blockDim.y);
  return t;
}

inline void resume(int i) {
  Fiber& f = L.fibers[i];
  L.current = i;
  threadIdx = thread_index(i);
  if (!_setjmp(L.sched)) {
    if (f.started) _longjmp(f.ctx, 1);
    f.started = true;
    if (!f.stack) {
      const size_t pg = page_size();
      void* m = mmap(nullptr, kStackBytes + pg, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (m == MAP_FAILED) {
        fail("cuda_on_cpu: cannot map a fiber stack");
        f.state = kDone;
        L.current = -1;
        return;
      }
      mprotect(m, pg, PROT_NONE);  // stack overflow faults instead of corrupting memory
      f.stack = static_cast<char*>(m);
    }
    ucontext_t uc, back;
    getcontext(&uc);
    uc.uc_stack.ss_sp = f.stack + page_size();
    uc.uc_stack.ss_size = kStackBytes;
    uc.uc_link = nullptr;
    makecontext(&uc, fiber_main, 0);
    swapcontext(&back, &uc);  // never returns here: the fiber comes back through L.sched
  }
  L.current = -1;
}

inline int lane_of(int i) { return i & 31; }

inline void wait_warp(int op, unsigned int mask, unsigned long long value, int arg, int width,
                      const std::source_location& loc) {
  Fiber& f = L.fibers[L.current];
  f.state = kWarp;
  f.op = op;
  f.mask = mask;
  f.value = value;
  f.arg = arg;
  f.width = width;
  f.file = loc.file_name();
  f.line = static_cast<int>(loc.line());
  yield();
}

inline const char* base_name(const char* path) {
  const char* s = strrchr(path, '/');
  return s ? s + 1 : path;
}

#define MXCPU_WHERE "kernel %s, block (%u,%u,%u)"
#define MXCPU_WHERE_ARGS L.kernel->name.c_str(), blockIdx.x, blockIdx.y, blockIdx.z

inline void describe_thread(int i, char* buf, size_t n) {
  const uint3 t = thread_index(i);
  const Fiber& f = L.fibers[i];
  const char* what = f.state == kBarrier ? "__syncthreads"
                     : f.state == kWarp  ? kWarpOpName[f.op]
                     : f.state == kDone  ? "exited"
                                         : "running";
  if (f.state == kBarrier || f.state == kWarp) {
    snprintf(buf, n, "thread (%u,%u,%u) [warp %d lane %d] at %s:%d %s", t.x, t.y, t.z, i / 32,
             i & 31, base_name(f.file), f.line, what);
  } else {
    snprintf(buf, n, "thread (%u,%u,%u) [warp %d lane %d] %s", t.x, t.y, t.z, i / 32, i & 31,
             what);
  }
}

// Release one warp group if it is complete; returns 1 released, 0 not ready, -1 error.
inline int try_release_warp(int first) {
  Fiber& lead = L.fibers[first];
  const int warp = first / 32;
  const int base = warp * 32;
  const unsigned int mask = lead.mask;
  char a[256], b[256];
  if (!(mask >> lane_of(first) & 1u)) {
    describe_thread(first, a, sizeof a);
    fail("%s: mask 0x%08x does not include the calling lane; " MXCPU_WHERE ", %s",
         kWarpOpName[lead.op], mask, MXCPU_WHERE_ARGS, a);
    return -1;
  }
  for (int lane = 0; lane < 32; ++lane) {
    if (!(mask >> lane & 1u)) continue;
    const int j = base + lane;
    if (j >= L.nthreads || L.fibers[j].state == kDone) describe_thread(first, a, sizeof a);
    if (j >= L.nthreads) {
      fail("%s: mask 0x%08x names lane %d, which does not exist (block of %d threads); "
           MXCPU_WHERE ", %s", kWarpOpName[lead.op], mask, lane, L.nthreads, MXCPU_WHERE_ARGS,
           a);
      return -1;
    }
    const Fiber& o = L.fibers[j];
    if (o.state == kDone) {
      fail("%s: mask 0x%08x names lane %d, which has exited; " MXCPU_WHERE ", %s",
           kWarpOpName[lead.op], mask, lane, MXCPU_WHERE_ARGS, a);
      return -1;
    }
    if (o.state != kWarp) return 0;  // still to arrive (or stuck elsewhere: deadlock check)
    if (o.op != lead.op || o.line != lead.line || strcmp(o.file, lead.file) != 0 ||
        o.mask != mask) {
      describe_thread(first, a, sizeof a);
      describe_thread(j, b, sizeof b);
      fail("divergent warp intrinsic: %s with mask 0x%08x and %s with mask 0x%08x; "
           MXCPU_WHERE, a, mask, b, o.mask, MXCPU_WHERE_ARGS);
      return -1;
    }
  }
  // Every lane of the mask is here: compute the results.
  unsigned int ballot = 0;
  for (int lane = 0; lane < 32; ++lane) {
    if (mask >> lane & 1u) ballot |= (L.fibers[base + lane].value != 0 ? 1u : 0u) << lane;
  }
  for (int lane = 0; lane < 32; ++lane) {
    if (!(mask >> lane & 1u)) continue;
    Fiber& f = L.fibers[base + lane];
    const int w = f.width;
    const int seg = (lane / w) * w;
    int src = lane;
    switch (f.op) {
      case kShflIdx: src = seg + ((f.arg % w) + w) % w; break;
      case kShflUp: src = lane - f.arg >= seg ? lane - f.arg : lane; break;
      case kShflDown: src = lane + f.arg < seg + w ? lane + f.arg : lane; break;
      case kShflXor: src = (lane ^ f.arg) < seg + w ? (lane ^ f.arg) : lane; break;
      default: break;
    }
    if (f.op <= kShflXor) {
      if (src < 0 || src > 31 || !(mask >> src & 1u)) {
        describe_thread(base + lane, a, sizeof a);
        fail("%s: lane %d reads lane %d, which is not in the mask 0x%08x; " MXCPU_WHERE ", %s",
             kWarpOpName[f.op], lane, src, mask, MXCPU_WHERE_ARGS, a);
        return -1;
      }
      f.result = L.fibers[base + src].value;
    } else if (f.op == kBallot) {
      f.result = ballot;
    } else if (f.op == kAny) {
      f.result = ballot != 0;
    } else if (f.op == kAll) {
      f.result = ballot == mask;
    }
  }
  for (int lane = 0; lane < 32; ++lane) {
    if (mask >> lane & 1u) L.fibers[base + lane].state = kRunnable;
  }
  return 1;
}

// Runs threads [lo, hi) until none of them can move without a __syncthreads: each runnable
// thread runs to its next wait, then complete warp groups are released. 1 if anything moved, 0 if
// nothing did, -1 on an error.
inline int advance(int lo, int hi) {
  bool moved = false;
  for (int k = 0; k < hi - lo; ++k) {
    const int i = L.reverse ? hi - 1 - k : lo + k;
    while (L.fibers[i].state == kRunnable) {
      resume(i);
      moved = true;
      if (L.error && L.error[0]) return -1;
    }
  }
  for (int k = 0; k < hi - lo; ++k) {
    const int i = L.reverse ? hi - 1 - k : lo + k;
    if (L.fibers[i].state == kWarp) {
      const int r = try_release_warp(i);
      if (r < 0) return -1;
      moved = moved || r > 0;
    }
  }
  return moved ? 1 : 0;
}

// Runs the current block to completion; false on an error (message in L.error). In lockstep mode
// all threads advance together from one wait to the next; otherwise each warp runs as far as it
// can before the next warp starts (the most skewed schedule a barrier still allows), which is
// what exposes a missing __syncthreads between a shared-memory read and a later write.
inline bool run_block(bool lockstep) {
  const int n = L.nthreads;
  const int nwarps = (n + 31) / 32;
  for (int i = 0; i < n; ++i) L.fibers[i].state = kRunnable;
  for (;;) {
    int r = 0;
    if (lockstep) {
      while ((r = advance(0, n)) > 0) {
      }
      if (r < 0) return false;
    } else {
      for (int k = 0; k < nwarps; ++k) {
        const int w = L.reverse ? nwarps - 1 - k : k;
        while ((r = advance(w * 32, w * 32 + 32 < n ? w * 32 + 32 : n)) > 0) {
        }
        if (r < 0) return false;
      }
    }
    int done = 0, barrier = 0, first_barrier = -1;
    for (int k = 0; k < n; ++k) {
      const int i = L.reverse ? n - 1 - k : k;
      const Fiber& f = L.fibers[i];
      if (f.state == kDone) {
        ++done;
      } else if (f.state == kBarrier) {
        ++barrier;
        if (first_barrier < 0) first_barrier = i;
      }
    }
    if (done == n) return true;
    char a[256], b[256];
    if (barrier > 0 && barrier + done == n) {
      const Fiber& lead = L.fibers[first_barrier];
      if (done > 0) {
        // CUDA requires every thread of the block at each __syncthreads.
        int gone = 0;
        while (L.fibers[gone].state != kDone) ++gone;
        describe_thread(first_barrier, a, sizeof a);
        describe_thread(gone, b, sizeof b);
        fail("divergent __syncthreads: %s, but %d thread(s) exited without reaching it, e.g. "
             "%s; " MXCPU_WHERE, a, done, b, MXCPU_WHERE_ARGS);
        return false;
      }
      for (int i = 0; i < n; ++i) {
        const Fiber& f = L.fibers[i];
        if (f.state == kBarrier && (f.line != lead.line || strcmp(f.file, lead.file) != 0)) {
          describe_thread(first_barrier, a, sizeof a);
          describe_thread(i, b, sizeof b);
          fail("divergent __syncthreads: %s, but %s; " MXCPU_WHERE, a, b, MXCPU_WHERE_ARGS);
          return false;
        }
      }
      for (int i = 0; i < n; ++i) {
        if (L.fibers[i].state == kBarrier) L.fibers[i].state = kRunnable;
      }
      continue;
    }
    // Nothing can move: a barrier some threads skip, or warp lanes that never meet.
    int x = -1, y = -1;
    for (int i = 0; i < n && y < 0; ++i) {
      if (L.fibers[i].state == kDone) continue;
      if (x < 0) {
        x = i;
      } else if (L.fibers[i].state != L.fibers[x].state || L.fibers[i].line != L.fibers[x].line) {
        y = i;
      }
    }
    describe_thread(x, a, sizeof a);
    if (y >= 0) {
      describe_thread(y, b, sizeof b);
      fail("deadlock (divergent barrier or warp intrinsic): %s, while %s; " MXCPU_WHERE, a, b,
           MXCPU_WHERE_ARGS);
    } else if (barrier > 0) {
      fail("deadlock: __syncthreads waits for threads that never arrive: %s; " MXCPU_WHERE, a,
           MXCPU_WHERE_ARGS);
    } else {
      fail("deadlock: warp intrinsic never completes: %s; " MXCPU_WHERE, a, MXCPU_WHERE_ARGS);
    }
    return false;
  }
}

// Shared memory: the __shared__ variables (offsets in this library and sizes), set by the loader.
struct SharedVar {
  long long offset;
  long long size;
};
inline std::vector<SharedVar>& shared_vars() {
  static std::vector<SharedVar> v;
  return v;
}
inline char* library_base() {
  static char* base = nullptr;
  if (!base) {
    Dl_info dl;
    if (dladdr(reinterpret_cast<void*>(&library_base), &dl)) base = static_cast<char*>(dl.dli_fbase);
  }
  return base;
}

inline void on_fault(int sig, siginfo_t* info, void* uctx) {
  if (L.faulting) _exit(70);  // a fault while handling a fault
  L.faulting = 1;
  long long pc = 0;
#if defined(__x86_64__)
  pc = static_cast<long long>(static_cast<ucontext_t*>(uctx)->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
  pc = static_cast<long long>(static_cast<ucontext_t*>(uctx)->uc_mcontext.pc);
#endif
  if (L.fault_info) {
    Dl_info dl;
    long long base = 0;
    if (dladdr(reinterpret_cast<void*>(pc), &dl) && dl.dli_fbase) {
      base = reinterpret_cast<long long>(dl.dli_fbase);
    }
    L.fault_info[0] = sig;
    L.fault_info[1] = reinterpret_cast<long long>(info->si_addr);
    L.fault_info[2] = pc - base;
    L.fault_info[3] = L.current;
    L.fault_info[4] = blockIdx.x;
    L.fault_info[5] = blockIdx.y;
    L.fault_info[6] = blockIdx.z;
  }
  siglongjmp(L.fault, 1);
}

template <typename... A> inline void call_kernel(void* fn, void** args) {
  [&]<size_t... I>(std::index_sequence<I...>) {
    reinterpret_cast<void (*)(A...)>(fn)(*static_cast<std::remove_reference_t<A>*>(args[I])...);
  }(std::index_sequence_for<A...>{});
}

template <typename T> struct TypeName { static constexpr const char* value = nullptr; };
#define MXCPU_TYPENAME(T, N) \
  template <> struct TypeName<T> { static constexpr const char* value = N; };
MXCPU_TYPENAME(__half, "float16")
MXCPU_TYPENAME(float, "float32")
MXCPU_TYPENAME(double, "float64")
MXCPU_TYPENAME(signed char, "int8")
MXCPU_TYPENAME(unsigned char, "uint8")
MXCPU_TYPENAME(char, "int8")
MXCPU_TYPENAME(short, "int16")
MXCPU_TYPENAME(unsigned short, "uint16")
MXCPU_TYPENAME(int, "int32")
MXCPU_TYPENAME(unsigned int, "uint32")
MXCPU_TYPENAME(long, "int64")
MXCPU_TYPENAME(unsigned long, "uint64")
MXCPU_TYPENAME(long long, "int64")
MXCPU_TYPENAME(unsigned long long, "uint64")
MXCPU_TYPENAME(bool, "bool")
MXCPU_TYPENAME(void, "void")
#undef MXCPU_TYPENAME

template <typename T> inline std::string type_code() {
  if constexpr (std::is_pointer_v<T>) {
    typedef std::remove_pointer_t<T> P;
    const char* n = TypeName<std::remove_cv_t<P>>::value;
    return std::string(std::is_const_v<P> ? "const " : "") + (n ? n : "?") + "*";
  } else {
    const char* n = TypeName<std::remove_cv_t<T>>::value;
    return n ? n : "?";
  }
}

template <typename... A> inline int register_kernel(const char* name, void (*fn)(A...),
                                                    int bounds) {
  Kernel k;
  k.name = name;
  k.nargs = sizeof...(A);
  k.bounds = bounds;
  k.fn = reinterpret_cast<void*>(fn);
  k.call = &call_kernel<A...>;
  std::string sig;
  ((sig += type_code<A>() + ";"), ...);
  if (!sig.empty()) sig.pop_back();
  k.signature = sig;
  kernels().push_back(k);
  return 0;
}

}  // namespace mxcpu

#define MXCPU_KERNEL(NAME, BOUNDS) \
  static const int mxcpu_registered_##NAME = mxcpu::register_kernel(#NAME, &NAME, BOUNDS);

// ------------------------------------------------------------------------------------------------
// Synchronisation and warp intrinsics.
inline void __syncthreads(std::source_location loc = std::source_location::current()) {
  mxcpu::Fiber& f = mxcpu::L.fibers[mxcpu::L.current];
  f.state = mxcpu::kBarrier;
  f.file = loc.file_name();
  f.line = static_cast<int>(loc.line());
  mxcpu::yield();
}

inline void __syncwarp(unsigned int mask = 0xffffffffu,
                       std::source_location loc = std::source_location::current()) {
  mxcpu::wait_warp(mxcpu::kSyncwarp, mask, 0, 0, 32, loc);
}

namespace mxcpu {
template <typename T> inline unsigned long long to_bits(T v) {
  static_assert(sizeof(T) <= 8, "warp intrinsics move at most 8 bytes");
  unsigned long long b = 0;
  memcpy(&b, &v, sizeof(T));
  return b;
}
template <typename T> inline T from_bits(unsigned long long b) {
  T v;
  memcpy(&v, &b, sizeof(T));
  return v;
}
template <typename T>
inline T shfl(int op, unsigned int mask, T v, int arg, int width, const std::source_location& loc) {
  if (width <= 0 || width > 32 || (width & (width - 1))) {
    fail("%s: width %d is not a power of two <= 32; " MXCPU_WHERE, kWarpOpName[op], width,
         MXCPU_WHERE_ARGS);
  }
  wait_warp(op, mask, to_bits(v), arg, width, loc);
  return from_bits<T>(L.fibers[L.current].result);
}
}  // namespace mxcpu

template <typename T>
inline T __shfl_sync(unsigned int mask, T v, int src, int width = 32,
                     std::source_location loc = std::source_location::current()) {
  return mxcpu::shfl(mxcpu::kShflIdx, mask, v, src, width, loc);
}
template <typename T>
inline T __shfl_up_sync(unsigned int mask, T v, unsigned int delta, int width = 32,
                        std::source_location loc = std::source_location::current()) {
  return mxcpu::shfl(mxcpu::kShflUp, mask, v, static_cast<int>(delta), width, loc);
}
template <typename T>
inline T __shfl_down_sync(unsigned int mask, T v, unsigned int delta, int width = 32,
                          std::source_location loc = std::source_location::current()) {
  return mxcpu::shfl(mxcpu::kShflDown, mask, v, static_cast<int>(delta), width, loc);
}
template <typename T>
inline T __shfl_xor_sync(unsigned int mask, T v, int lane_mask, int width = 32,
                         std::source_location loc = std::source_location::current()) {
  return mxcpu::shfl(mxcpu::kShflXor, mask, v, lane_mask, width, loc);
}
inline unsigned int __ballot_sync(unsigned int mask, int pred,
                                  std::source_location loc = std::source_location::current()) {
  mxcpu::wait_warp(mxcpu::kBallot, mask, pred != 0, 0, 32, loc);
  return static_cast<unsigned int>(mxcpu::L.fibers[mxcpu::L.current].result);
}
inline int __any_sync(unsigned int mask, int pred,
                      std::source_location loc = std::source_location::current()) {
  mxcpu::wait_warp(mxcpu::kAny, mask, pred != 0, 0, 32, loc);
  return static_cast<int>(mxcpu::L.fibers[mxcpu::L.current].result);
}
inline int __all_sync(unsigned int mask, int pred,
                      std::source_location loc = std::source_location::current()) {
  mxcpu::wait_warp(mxcpu::kAll, mask, pred != 0, 0, 32, loc);
  return static_cast<int>(mxcpu::L.fibers[mxcpu::L.current].result);
}

// Atomics: fibers never interleave inside one, so plain read-modify-write is atomic here.
template <typename T> inline T atomicAdd(T* p, T v) { T old = *p; *p = old + v; return old; }
template <typename T> inline T atomicSub(T* p, T v) { T old = *p; *p = old - v; return old; }
template <typename T> inline T atomicExch(T* p, T v) { T old = *p; *p = v; return old; }
template <typename T> inline T atomicMax(T* p, T v) { T old = *p; *p = old > v ? old : v; return old; }
template <typename T> inline T atomicMin(T* p, T v) { T old = *p; *p = old < v ? old : v; return old; }
template <typename T> inline T atomicCAS(T* p, T cmp, T v) {
  T old = *p;
  if (old == cmp) *p = v;
  return old;
}

// ------------------------------------------------------------------------------------------------
// The launch entry point, called through ctypes by tests/cuda_on_cpu/launch.py.
extern "C" __attribute__((visibility("default"))) int mxcpu_kernel_count() {
  return static_cast<int>(mxcpu::kernels().size());
}

extern "C" __attribute__((visibility("default"))) const char* mxcpu_kernel_name(int i) {
  return mxcpu::kernels()[i].name.c_str();
}

extern "C" __attribute__((visibility("default"))) const char* mxcpu_kernel_signature(
    int i) {
  return mxcpu::kernels()[i].signature.c_str();
}

extern "C" __attribute__((visibility("default"))) int mxcpu_kernel_bounds(int i) {
  return mxcpu::kernels()[i].bounds;
}

extern "C" __attribute__((visibility("default"))) void mxcpu_set_shared(
    const long long* offsets, const long long* sizes, int n) {
  mxcpu::shared_vars().clear();
  for (int i = 0; i < n; ++i) mxcpu::shared_vars().push_back({offsets[i], sizes[i]});
}

// Returns 0 on success, 1 on a detected error (message in err), 2 on a fault (fault_info:
// signal, address, pc offset in this library, fiber index).
extern "C" __attribute__((visibility("default"))) int mxcpu_launch(
    int kernel, const unsigned int* grid, const unsigned int* block, void** args, int reverse,
    int shared_fill, char* err, int err_len, long long* fault_info) {
  using namespace mxcpu;
  static char altstack[1 << 16];
  Launch& l = L;
  l.kernel = &kernels()[kernel];
  l.args = args;
  l.reverse = reverse != 0;
  l.error = err;
  l.error_len = err_len;
  l.fault_info = fault_info;
  l.faulting = 0;
  err[0] = 0;
  gridDim.x = grid[0], gridDim.y = grid[1], gridDim.z = grid[2];
  blockDim.x = block[0], blockDim.y = block[1], blockDim.z = block[2];
  l.nthreads = static_cast<int>(block[0] * block[1] * block[2]);

  stack_t ss, old_ss;
  ss.ss_sp = altstack;
  ss.ss_size = sizeof altstack;
  ss.ss_flags = 0;
  sigaltstack(&ss, &old_ss);
  struct sigaction sa, old[4];
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  const int sigs[4] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};
  for (int i = 0; i < 4; ++i) sigaction(sigs[i], &sa, &old[i]);

  int rc = 0;
  if (sigsetjmp(l.fault, 1) == 0) {
    const long long nblocks = static_cast<long long>(grid[0]) * grid[1] * grid[2];
    for (long long k = 0; k < nblocks; ++k) {
      const long long b = l.reverse ? nblocks - 1 - k : k;
      blockIdx.x = static_cast<unsigned int>(b % grid[0]);
      blockIdx.y = static_cast<unsigned int>((b / grid[0]) % grid[1]);
      blockIdx.z = static_cast<unsigned int>(b / (static_cast<long long>(grid[0]) * grid[1]));
      for (const SharedVar& v : shared_vars()) memset(library_base() + v.offset, shared_fill, v.size);
      if (!run_block(!l.reverse)) {
        rc = 1;
        break;
      }
    }
  } else {
    rc = 2;
  }
  for (int i = 0; i < 4; ++i) sigaction(sigs[i], &old[i], nullptr);
  sigaltstack(&old_ss, nullptr);
  if (rc != 0) {
    // Fibers stopped mid-kernel: start them afresh next time.
    for (int i = 0; i < kMaxThreads; ++i) l.fibers[i].started = false;
  }
  l.current = -1;
  return rc;
}

#endif  // MXCPU_SCAN
