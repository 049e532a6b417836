// The worker pool under the engines and host passes: every index exactly once, any split, errors
// rethrown, nested and concurrent calls, background tasks.
#include <acim/core/thread_pool.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

using acim::core::thread_pool;

namespace {

// Counts how often every index of [0, n) is visited.
std::vector<int> visits(thread_pool& pool, std::size_t n) {
    std::vector<std::atomic<int>> hit(n);
    pool.parallel_for(n, [&](int worker, std::size_t b, std::size_t e) {
        EXPECT_GE(worker, 0);
        EXPECT_LT(worker, pool.size());
        EXPECT_LT(b, e);
        for (std::size_t k = b; k < e; ++k) ++hit[k];
    });
    std::vector<int> out;
    for (auto& h : hit) out.push_back(h.load());
    return out;
}

}  // namespace

TEST(ThreadPool, EveryIndexExactlyOnce) {
    for (int threads : {1, 2, 3, 4}) {
        thread_pool pool(threads);
        for (std::size_t n : {0u, 1u, 2u, 3u, 7u, 8u, 33u, 256u, 1001u})
            for (int rep = 0; rep < 20; ++rep) EXPECT_EQ(visits(pool, n), std::vector<int>(n, 1)) << threads << " " << n;
    }
}

TEST(ThreadPool, PerWorkerSumsAreTheSameForAnyThreadCount) {
    // The engines' use: each worker adds into its own slot; the total never depends on the split.
    for (int threads : {1, 2, 4}) {
        thread_pool pool(threads);
        std::vector<std::uint64_t> part(static_cast<std::size_t>(threads), 0);
        pool.parallel_for(10000, [&](int w, std::size_t b, std::size_t e) {
            for (std::size_t k = b; k < e; ++k) part[static_cast<std::size_t>(w)] += k * k;
        });
        std::uint64_t total = 0;
        for (auto p : part) total += p;
        std::uint64_t expect = 0;
        for (std::uint64_t k = 0; k < 10000; ++k) expect += k * k;
        EXPECT_EQ(total, expect) << threads;
    }
}

TEST(ThreadPool, ExceptionIsRethrownAndTheOtherChunksStillRun) {
    thread_pool pool(2);
    std::atomic<std::size_t> done{0};
    EXPECT_THROW(pool.parallel_for(100,
                                   [&](int, std::size_t b, std::size_t e) {
                                       if (b == 0) throw std::runtime_error("chunk 0");
                                       done += e - b;
                                   }),
                 std::runtime_error);
    EXPECT_GT(done.load(), 0u);
    EXPECT_EQ(visits(pool, 64), std::vector<int>(64, 1));  // usable afterwards
}

TEST(ThreadPool, NestedCallRunsOnTheCallingThread) {
    thread_pool pool(2);
    std::atomic<int> inner{0};
    pool.parallel_for(4, [&](int, std::size_t b, std::size_t e) {
        for (std::size_t k = b; k < e; ++k)
            pool.parallel_for(10, [&](int, std::size_t ib, std::size_t ie) { inner += static_cast<int>(ie - ib); });
    });
    EXPECT_EQ(inner.load(), 40);
}

TEST(ThreadPool, ConcurrentCallersBothComplete) {
    thread_pool pool(2);
    std::atomic<std::uint64_t> a{0}, b{0};
    std::thread other([&] {
        for (int rep = 0; rep < 200; ++rep)
            pool.parallel_for(100, [&](int, std::size_t lo, std::size_t hi) { a += hi - lo; });
    });
    for (int rep = 0; rep < 200; ++rep) pool.parallel_for(100, [&](int, std::size_t lo, std::size_t hi) { b += hi - lo; });
    other.join();
    EXPECT_EQ(a.load(), 20000u);
    EXPECT_EQ(b.load(), 20000u);
}

TEST(ThreadPool, BackgroundTasksAllRunBetweenJobs) {
    for (int threads : {1, 2, 3}) {
        thread_pool pool(threads);
        std::vector<int> ran(500, 0);
        for (std::size_t k = 0; k < ran.size(); ++k) pool.post([&ran, k] { ran[k] += 1; });
        // Jobs keep coming while the tasks run: the caller takes the chunks a busy worker leaves.
        for (int rep = 0; rep < 50; ++rep) EXPECT_EQ(visits(pool, 37), std::vector<int>(37, 1));
        pool.wait_background();
        EXPECT_EQ(ran, std::vector<int>(500, 1)) << threads;
    }
}

TEST(ThreadPool, BackgroundExceptionIsRethrownOnce) {
    thread_pool pool(2);
    std::atomic<int> ran{0};
    pool.post([] { throw std::runtime_error("task"); });
    for (int k = 0; k < 10; ++k) pool.post([&] { ++ran; });
    EXPECT_THROW(pool.wait_background(), std::runtime_error);
    EXPECT_EQ(ran.load(), 10);
    EXPECT_NO_THROW(pool.wait_background());
}

TEST(ThreadPool, SharedPoolIsOnePerSize) {
    EXPECT_EQ(thread_pool::shared(2).get(), thread_pool::shared(2).get());
    EXPECT_NE(thread_pool::shared(2).get(), thread_pool::shared(3).get());
    EXPECT_EQ(thread_pool::shared(3)->size(), 3);
    EXPECT_THROW(thread_pool::shared(0), std::exception);
}
