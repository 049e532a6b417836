// 64-byte aligned storage for the vectorised kernels: one row of eight 64-bit lanes (or sixteen
// 32-bit ones) is one aligned 512-bit load.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace acim::core {

// 64-byte aligned storage: one frame row of eight vectors is one aligned 512-bit load.
template <class T>
struct aligned_allocator {
    using value_type = T;
    static constexpr std::size_t alignment = 64;
    aligned_allocator() = default;
    template <class U>
    aligned_allocator(const aligned_allocator<U>&) noexcept {}
    T* allocate(std::size_t n) {
        return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(alignment)));
    }
    void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t(alignment)); }
    template <class U>
    bool operator==(const aligned_allocator<U>&) const noexcept { return true; }
    template <class U>
    bool operator!=(const aligned_allocator<U>&) const noexcept { return false; }
};
template <class T>
using aligned_vector = std::vector<T, aligned_allocator<T>>;

}  // namespace acim::core
