// The AVX-512 engine kernel once more, compiled with -mavx512vbmi2 (see engine_avx512.cpp): the
// A8 bit-serial path lists the lanes whose byte of u is slow with one byte compress per weight
// bit. Entered only on CPUs with AVX512-VBMI2.
#define ACIM_KERNEL_VBMI2 1
#include <acim/core/engine_avx512.cpp>
