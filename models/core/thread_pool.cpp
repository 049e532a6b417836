#include <acim/core/thread_pool.hpp>

#include <acim/core/error.hpp>

#include <algorithm>
#include <chrono>
#include <map>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace acim::core {

namespace {
void part(std::size_t n, std::size_t parts, std::size_t k, std::size_t& b, std::size_t& e) {
    b = n * k / parts;
    e = n * (k + 1) / parts;
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

void thread_pool::run_chunks(const std::function<void(int, std::size_t, std::size_t)>& fn, std::size_t n,
                             std::size_t chunks, std::uint64_t g, int id) {
    for (;;) {
        std::uint64_t v = m_claim.load(std::memory_order_acquire);
        std::size_t c = 0;
        for (;;) {
            if ((v >> 32) != (g & 0xFFFFFFFFu)) return;  // a later job: nothing of ours is left
            c = static_cast<std::size_t>(v & 0xFFFFFFFFu);
            if (c >= chunks) return;
            if (m_claim.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel)) break;
        }
        std::size_t b = 0, e = 0;
        part(n, chunks, c, b, e);
        try {
            if (b < e) fn(id, b, e);
        } catch (...) {
            std::lock_guard<std::mutex> lk(m_mutex);
            if (!m_error) m_error = std::current_exception();
        }
        if (m_finished.fetch_add(1, std::memory_order_acq_rel) + 1 == chunks) {
            { std::lock_guard<std::mutex> lk(m_mutex); }  // the caller either sees it or is waiting
            m_done.notify_all();
        }
    }
}

bool thread_pool::run_one_task() {
    std::function<void()> task;
    {
        std::lock_guard<std::mutex> lk(m_mutex);
        if (m_tasks.empty()) return false;
        task = std::move(m_tasks.front());
        m_tasks.pop_front();
        m_queued.fetch_sub(1);
        ++m_running;
    }
    std::exception_ptr e;
    try {
        task();
    } catch (...) {
        e = std::current_exception();
    }
    {
        std::lock_guard<std::mutex> lk(m_mutex);
        --m_running;
        if (e && !m_task_error) m_task_error = e;
    }
    m_done.notify_all();
    return true;
}

void thread_pool::worker_loop(int id) {
    std::uint64_t seen = 0;
    for (;;) {
        const auto ready = [&] {
            return m_stop.load(std::memory_order_acquire) || m_generation.load(std::memory_order_acquire) != seen ||
                   m_queued.load(std::memory_order_acquire) > 0;
        };
        if (!spin_until(ready)) {
            std::unique_lock<std::mutex> lk(m_mutex);
            m_sleeping.fetch_add(1);
            m_start.wait(lk, ready);
            m_sleeping.fetch_sub(1);
        }
        if (m_stop.load(std::memory_order_acquire)) return;
        if (m_generation.load(std::memory_order_acquire) != seen) {
            const std::function<void(int, std::size_t, std::size_t)>* job;
            std::size_t n, chunks;
            {
                std::lock_guard<std::mutex> lk(m_mutex);
                seen = m_generation.load(std::memory_order_relaxed);
                job = m_job;
                n = m_n;
                chunks = m_chunks;
            }
            run_chunks(*job, n, chunks, seen, id);  // returns at once if that job is already done
            continue;
        }
        run_one_task();  // between jobs: one background task, then look for a job again
    }
}

void thread_pool::parallel_for(std::size_t n, const std::function<void(int, std::size_t, std::size_t)>& fn) {
    if (m_size == 1 || n < 2) {
        if (n > 0) fn(0, 0, n);
        return;
    }
    std::unique_lock<std::mutex> caller(m_caller, std::try_to_lock);
    if (!caller.owns_lock()) {  // busy: all of it here
        fn(0, 0, n);
        return;
    }
    const std::size_t chunks = std::min<std::size_t>(n, static_cast<std::size_t>(m_size) * chunks_per_thread);
    std::uint64_t g = 0;
    {
        std::lock_guard<std::mutex> lk(m_mutex);
        m_job = &fn;
        m_n = n;
        m_chunks = chunks;
        m_error = nullptr;
        m_finished.store(0, std::memory_order_relaxed);
        g = m_generation.load(std::memory_order_relaxed) + 1;
        m_claim.store((g & 0xFFFFFFFFu) << 32, std::memory_order_release);
        m_generation.store(g, std::memory_order_release);
    }
    // A worker that sleeps registered itself under the mutex before the bump above, so it is seen.
    if (m_sleeping.load() > 0) m_start.notify_all();
    run_chunks(fn, n, chunks, g, 0);
    const auto done = [&] { return m_finished.load(std::memory_order_acquire) == chunks; };
    if (!spin_until(done)) {
        std::unique_lock<std::mutex> lk(m_mutex);
        m_done.wait(lk, done);
    }
    std::lock_guard<std::mutex> lk(m_mutex);
    if (m_error) std::rethrow_exception(m_error);
}

void thread_pool::post(std::function<void()> task) {
    {
        std::lock_guard<std::mutex> lk(m_mutex);
        m_tasks.push_back(std::move(task));
        m_queued.fetch_add(1);
    }
    // Without workers nobody sleeps here: the caller runs the task in wait_background.
    if (m_sleeping.load() > 0) m_start.notify_one();
}

void thread_pool::wait_background() {
    while (run_one_task()) {
    }
    std::unique_lock<std::mutex> lk(m_mutex);
    m_done.wait(lk, [&] { return m_running == 0 && m_tasks.empty(); });
    if (m_task_error) {
        const std::exception_ptr e = m_task_error;
        m_task_error = nullptr;
        std::rethrow_exception(e);
    }
}

}  // namespace acim::core
