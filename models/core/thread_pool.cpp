#include "thread_pool.hpp"

#include "error.hpp"

#include <chrono>
#include <map>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace acim::core {

namespace {
void part(std::size_t n, int parts, int k, std::size_t& b, std::size_t& e) {
    const auto p = static_cast<std::size_t>(parts), i = static_cast<std::size_t>(k);
    b = n * i / p;
    e = n * (i + 1) / p;
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#else
    std::this_thread::yield();
#endif
}

// Spins until done() or thread_pool::spin_microseconds have passed; true if done() became true.
template <class Done>
bool spin_until(Done&& done) {
    using clock = std::chrono::steady_clock;
    const auto limit = clock::now() + std::chrono::microseconds(thread_pool::spin_microseconds);
    for (unsigned k = 1;; ++k) {
        if (done()) return true;
        cpu_relax();
        if ((k & 63u) == 0 && clock::now() >= limit) return done();
    }
}
}  // namespace

std::shared_ptr<thread_pool> thread_pool::shared(int threads) {
    check_range("threads", threads, 1, 256);
    static std::mutex m;
    static std::map<int, std::shared_ptr<thread_pool>> pools;
    std::lock_guard<std::mutex> lk(m);
    std::shared_ptr<thread_pool>& p = pools[threads];
    if (!p) p = std::make_shared<thread_pool>(threads);
    return p;
}

thread_pool::thread_pool(int threads) : m_size(threads) {
    check_range("threads", threads, 1, 256);
    for (int t = 1; t < threads; ++t) m_threads.emplace_back([this, t] { worker_loop(t); });
}

thread_pool::~thread_pool() {
    {
        std::lock_guard<std::mutex> lk(m_mutex);
        m_stop.store(true);
    }
    m_start.notify_all();
    for (auto& t : m_threads) t.join();
}

void thread_pool::worker_loop(int id) {
    std::size_t seen = 0;
    for (;;) {
        const auto fresh = [&] { return m_stop.load(std::memory_order_acquire) || m_generation.load(std::memory_order_acquire) != seen; };
        if (!spin_until(fresh)) {
            std::unique_lock<std::mutex> lk(m_mutex);
            m_sleeping.fetch_add(1);
            m_start.wait(lk, fresh);
            m_sleeping.fetch_sub(1);
        }
        if (m_stop.load(std::memory_order_acquire)) return;
        const std::function<void(int, std::size_t, std::size_t)>* job;
        std::size_t n;
        {
            std::lock_guard<std::mutex> lk(m_mutex);  // uncontended: the caller is computing its part
            seen = m_generation.load(std::memory_order_relaxed);
            job = m_job;
            n = m_n;
        }
        std::size_t b = 0, e = 0;
        part(n, m_size, id, b, e);
        try {
            if (b < e) (*job)(id, b, e);
        } catch (...) {
            std::lock_guard<std::mutex> g(m_mutex);
            if (!m_error) m_error = std::current_exception();
        }
        if (m_pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            { std::lock_guard<std::mutex> g(m_mutex); }  // the caller either sees 0 or is waiting
            m_done.notify_one();
        }
    }
}

void thread_pool::parallel_for(std::size_t n, const std::function<void(int, std::size_t, std::size_t)>& fn) {
    if (m_size == 1 || n < 2) {
        if (n > 0) fn(0, 0, n);
        return;
    }
    std::unique_lock<std::mutex> caller(m_caller, std::try_to_lock);
    if (!caller.owns_lock()) {  // busy: the same parts, here
        for (int k = 0; k < m_size; ++k) {
            std::size_t b = 0, e = 0;
            part(n, m_size, k, b, e);
            if (b < e) fn(k, b, e);
        }
        return;
    }
    {
        std::lock_guard<std::mutex> lk(m_mutex);
        m_job = &fn;
        m_n = n;
        m_error = nullptr;
        m_pending.store(m_size - 1, std::memory_order_relaxed);
        m_generation.fetch_add(1, std::memory_order_release);
    }
    // A worker that sleeps registered itself under the mutex before the bump above, so it is seen.
    if (m_sleeping.load() > 0) m_start.notify_all();
    std::size_t b = 0, e = 0;
    part(n, m_size, 0, b, e);
    std::exception_ptr mine;
    try {
        if (b < e) fn(0, b, e);
    } catch (...) {
        mine = std::current_exception();
    }
    const auto done = [&] { return m_pending.load(std::memory_order_acquire) == 0; };
    if (!spin_until(done)) {
        std::unique_lock<std::mutex> lk(m_mutex);
        m_done.wait(lk, done);
    }
    std::lock_guard<std::mutex> lk(m_mutex);
    if (mine) std::rethrow_exception(mine);
    if (m_error) std::rethrow_exception(m_error);
}

}  // namespace acim::core
