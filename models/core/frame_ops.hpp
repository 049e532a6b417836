// The macro's datapath as frame-level operations: the same arithmetic as mvm_engine, cut where
// the silicon is cut. A frame is one row tile n and one activation cycle j for a range of input
// vectors across every column (column = output * wbit + weight bit i). Per frame, the wordline
// drivers put the activation bits of cycle j on the rows of tile n, every SRAM column evaluates
// its bitline count, the ADC bank converts the analog and voted columns, the HCiM digital unit
// produces the digital columns, and the shift-add folds the codes into exact accumulators. One
// kernel-free class per block (wordline_core, array_core, adc_core, digital_core,
// shift_add_core) owns that block's state; the SystemC modules of models/sc wrap them one to one.
//
// Composed over all tiles and cycles, in any order and any split of the vectors into frames, the
// operations give mvm_engine::run's numerators and counters bit for bit: the same conversion
// tables, the same keyed random streams (tile, column_base + column, j, sample; global vector
// index), the same vote, exact integer accumulation. frame_pipeline is that composition.
//
// Data layout (vector-minor, so that eight vectors share one 512-bit register): activation planes
// [plane][word][vector], counts, cell sums and codes [column][vector], accumulators
// [output][vector]; vector strides are multiples of 16. Weight-full-bit-parallel (one conversion
// per tile, no cycles) has no frames: the frame path rejects it.
#pragma once

#include <acim/core/adc.hpp>
#include <acim/core/aligned.hpp>
#include <acim/core/cim_params.hpp>
#include <acim/core/engine.hpp>
#include <acim/core/layer.hpp>
#include <acim/core/mismatch.hpp>
#include <acim/core/rng.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <vector>

namespace acim::core {

namespace detail {
struct cell_table;  // engine_impl.hpp
}

// What cycle (i, j) does on the frame path.
struct frame_cycle {
    cycle_kind kind = cycle_kind::analog;
    int sign = 1;
    int shift = 0;            // i + lo
    int lo = 0;               // first activation plane of cycle j
    int width = 1;            // activation planes of cycle j
    std::int64_t fs = 0;      // full scale in counts
    bool adc = false;         // passes an ADC transfer: analog, voted, digital in digital_mode::adc
    std::int64_t weight = 0;  // shift-add multiplier of the code: sign * (adc ? fs : L) * 2^shift
};

// One layer on the frame path: settings, cycle grid, geometry. Shared, read-only, by the cores.
class frame_plan {
public:
    static constexpr std::size_t lanes = 8;  // vectors per 512-bit register of 64-bit lanes

    // Throws parameter_error / data_error like mvm_engine (tiles as in load_weights), and for
    // weight_bit_parallel, which has no frames. `isa` picks the kernels (automatic: AVX-512 when
    // the CPU has VPOPCNTDQ); results never depend on it.
    frame_plan(const cim_params& p, std::size_t outputs, std::size_t rows, std::vector<row_tile> tiles,
               kernel_isa isa = kernel_isa::automatic);

    const cim_params& params() const { return m_params; }
    const cycle_plan& plan() const { return m_plan; }
    int weight_cycles() const { return m_P; }  // P
    int act_cycles() const { return m_Q; }     // Q
    std::size_t outputs() const { return m_outputs; }
    std::size_t rows() const { return m_rows; }
    std::size_t columns() const { return m_outputs * static_cast<std::size_t>(m_P); }
    const std::vector<row_tile>& tiles() const { return m_tiles; }
    std::size_t words() const { return m_words; }  // 64-bit words of one tile plane (widest tile)
    std::int64_t denominator() const { return m_top; }  // L
    const frame_cycle& cycle(int i, int j) const { return m_cycles[static_cast<std::size_t>(i * m_Q + j)]; }
    // Weight bits i of cycle j of each kind, and their numbers.
    const std::vector<int>& bits(int j, cycle_kind k) const;
    bool avx512() const { return m_avx512; }
    // Vector stride of the frame arrays: a multiple of 16, so that every row of 32-bit counts or
    // codes and of 64-bit words starts on a 64-byte boundary and holds whole 512-bit registers.
    static std::size_t stride(std::size_t vectors) { return (vectors + 15) / 16 * 16; }

    // Throws data_error naming the first input code outside the activation range (x [vectors][rows]).
    void check_inputs(const std::int32_t* x, std::size_t vectors) const;
    // Throws parameter_error if the noise keys of this layer would collide (tiles < 2^20,
    // column_base + columns < 2^24), as mvm_engine::run does.
    void check_key(const stream_key& key) const;

private:
    cim_params m_params;
    cycle_plan m_plan;
    int m_P = 0, m_Q = 0;
    std::size_t m_outputs = 0, m_rows = 0, m_words = 0;
    std::vector<row_tile> m_tiles;
    std::int64_t m_top = 0;
    std::vector<frame_cycle> m_cycles;        // [i * Q + j]
    std::vector<std::vector<int>> m_bits;     // [j * 4 + kind]
    bool m_avx512 = false;
};

// Which frame: a row tile, an activation cycle, and a range of vectors.
struct frame_id {
    std::size_t tile = 0;
    int cycle = 0;                   // activation cycle j
    std::size_t vectors = 0;         // vectors in the frame (<= the buffers' capacity)
    std::uint64_t first_vector = 0;  // global index of the frame's first vector: keys the noise
};

// The data of one frame as it flows through the blocks.
struct frame_data {
    frame_data(const frame_plan& plan, std::size_t capacity);

    std::size_t capacity = 0;
    std::size_t stride = 0;                 // vector stride of counts, cell and codes
    const std::uint64_t* planes = nullptr;  // activation planes of the cycle [t][word][plane_stride]
    std::size_t plane_stride = 0;
    aligned_vector<std::int32_t> counts;    // [column][stride]: bitline / digital counts
    aligned_vector<double> cell;            // [column][stride]: cell-variation sums (current domain)
    aligned_vector<std::int32_t> codes;     // [column][stride]: ADC codes, digital codes
    // Where each column's codes are, set per frame by the ADC bank or the digital unit: its row of
    // `codes`, or its row of `counts` when the conversion is the identity (a lossless noise-free
    // ADC with FS = L, an exact digital count), which then costs no copy.
    std::vector<const std::int32_t*> code_rows;

    std::int32_t count(std::size_t v, std::size_t column) const { return counts[column * stride + v]; }
    std::int32_t code(std::size_t v, std::size_t column) const { return code_rows[column][v]; }
    const std::int32_t* count_row(std::size_t column) const { return counts.data() + column * stride; }
    std::int32_t* code_row(std::size_t column) { return codes.data() + column * stride; }
};

// Wordline drivers and their input register: the rows of one tile of a range of vectors are
// latched once as bit planes; activation cycle j drives planes lo_j .. lo_j + width_j - 1
// (bit-serial: one plane; bit-parallel: a multi-level slice).
class wordline_core {
public:
    wordline_core(std::shared_ptr<const frame_plan> plan, std::size_t capacity);
    // Latches tile `tile` of `vectors` input vectors x [vectors][rows] (codes already checked).
    void latch(const std::int32_t* x, std::size_t tile, std::size_t vectors);
    // Points f.planes at the planes of cycle id.cycle. Throws data_error if id names another
    // tile or vector count than the latched ones.
    void drive(const frame_id& id, frame_data& f) const;
    // Wordline drive events of cycle j: rows with a nonzero activation slice, over the latched vectors.
    std::uint64_t active_rows(int j) const;
    std::size_t latched_tile() const { return m_tile; }
    std::size_t latched_vectors() const { return m_vectors; }

private:
    std::shared_ptr<const frame_plan> m_plan;
    std::size_t m_capacity = 0, m_stride = 0;
    aligned_vector<std::uint64_t> m_planes;  // [xbit][word][stride]
    std::size_t m_tile = 0, m_vectors = 0;
    bool m_latched = false;
};

// The SRAM array: weight bit-planes per tile and column, bitline evaluation (AND + popcount of the
// driven planes, 2^t-weighted across a bit-parallel slice), and the current-domain cell variation.
class array_core {
public:
    explicit array_core(std::shared_ptr<const frame_plan> plan);
    // Stores weights [outputs][rows]; throws data_error for codes outside the wbit range.
    void load_weights(const std::int32_t* w);
    // Cell variation of this run's key (no-op without cell_sigma); frozen per (seed, die, macro,
    // column_base), redrawn per epoch with cell_redraw, as in mvm_engine.
    void set_key(const stream_key& key);
    // counts of every column; with cell variation also the cell sums of the columns that pass an ADC.
    void evaluate(const frame_id& id, frame_data& f) const;
    const std::uint64_t* plane(std::size_t tile, std::size_t column) const {
        return &m_wplanes[(tile * m_plan->columns() + column) * m_plan->words()];
    }

private:
    std::shared_ptr<const frame_plan> m_plan;
    aligned_vector<std::uint64_t> m_wplanes;  // [tile][column][word]
    bool m_loaded = false;
    std::shared_ptr<detail::cell_table> m_cells;  // cell variation of the key, or null
    mutable std::vector<double> m_sums, m_scratch;  // scratch of evaluate()
    bool m_delta_valid = false;
    stream_key m_delta_key;
};

// The ADC bank: converts the analog and voted columns of a frame (noise from the per-count
// conversion tables and the keyed streams; S conversions and a majority vote on voted columns)
// and counts analog, voted, ADC operations and saturations.
class adc_core {
public:
    explicit adc_core(std::shared_ptr<const frame_plan> plan);
    // Noise keys of this run (check_key applies); with static mismatch also the per-column
    // tables of this (seed, die, macro, column_base).
    void set_key(const stream_key& key);
    void convert(const frame_id& id, frame_data& f, engine_counters& cnt) const;
    const conversion_table* table(int j) const;  // the noisy table of cycle j, null if none
    // The table column `column` converts cycle j with: its mismatched table, or table(j).
    const conversion_table* table(std::size_t column, int j) const;

    // One conversion at a time, for observers (trace mode); the frame holds the array's counts
    // and cell sums of the cycle. The pre-noise analog value that column `column` of vector v
    // presents to an ADC, normalised to the cycle's full scale and clamped to [0, 1] (cell
    // variation and gain compression included); for a digital column the same formula of its count.
    double analog_value(const frame_id& id, const frame_data& f, std::size_t v, std::size_t column) const;
    // The code of ADC sample `sample` (0 .. S-1 on a voted column, 0 on an analog one) of that
    // conversion before the vote: what convert() computes for it, noise key and all. Throws
    // parameter_error for a column that the ADC bank does not convert in this cycle.
    std::int32_t sample_code(const frame_id& id, const frame_data& f, std::size_t v, std::size_t column,
                             int sample) const;

private:
    std::shared_ptr<const frame_plan> m_plan;
    std::vector<std::unique_ptr<conversion_table>> m_tables;  // [j]
    std::unique_ptr<mismatch_tables> m_mm;                    // static mismatch, or null
    std::uint64_t m_temporal = 0;
    std::uint32_t m_column_base = 0;
    std::uint64_t m_tile_base = 0;
    mutable std::vector<std::size_t> m_cols;  // scratch of convert()
    mutable std::vector<std::uint64_t> m_keys;
};

// The HCiM digital unit: the digital (MSB corner) columns get their exact counts as codes, or, in
// digital_mode::adc (ASiM, B6), the noise-free ADC transfer of their counts.
class digital_core {
public:
    explicit digital_core(std::shared_ptr<const frame_plan> plan);
    // Static mismatch of the ADC transfer in digital_mode::adc (no-op otherwise).
    void set_key(const stream_key& key);
    void compute(const frame_id& id, frame_data& f, engine_counters& cnt) const;

private:
    std::shared_ptr<const frame_plan> m_plan;
    std::vector<std::unique_ptr<conversion_table>> m_tables;  // [j], digital_mode::adc only
    std::unique_ptr<mismatch_tables> m_mm;                    // digital_mode::adc with mismatch
};

// The shift-add backend: acc[v][o] += code * sign * (FS or L) * 2^shift, exact numerators over L.
class shift_add_core {
public:
    shift_add_core(std::shared_ptr<const frame_plan> plan, std::size_t capacity);
    // Zeroes the accumulators of the next range of `vectors` vectors.
    void clear(std::size_t vectors);
    void accumulate(const frame_id& id, const frame_data& f, engine_counters& cnt);
    // out[v * outputs + o] for the cleared range.
    void read(std::int64_t* out) const;
    std::int64_t accumulator(std::size_t v, std::size_t o) const {
        return static_cast<std::int64_t>(m_acc[o * m_stride + v]);
    }

private:
    std::shared_ptr<const frame_plan> m_plan;
    std::size_t m_capacity = 0, m_stride = 0, m_vectors = 0;
    aligned_vector<std::uint64_t> m_acc;  // [output][stride], modulo 2^64: exact below 2^62
};

// One step of the controller's sequence.
struct frame_step {
    frame_id id;
    std::size_t offset = 0;   // index of the frame's first vector in the batch
    bool latch = false;       // first frame of its tile for these vectors: load the input register
    bool first = false;       // first frame of these vectors: clear the accumulators
    bool last = false;        // last frame of these vectors: read the accumulators out
    bool end_of_run = false;  // last frame of the batch
};

// The controller's order: ranges of `frame_vectors` vectors; per range, row tiles; per tile,
// activation cycles (docs/timing.md: vector by vector, tile by tile, cycle by cycle).
class frame_sequencer {
public:
    frame_sequencer(std::shared_ptr<const frame_plan> plan, std::size_t frame_vectors);
    void begin(std::size_t vectors, std::uint64_t first_vector);
    // The next frame of the batch; false when the batch is done.
    bool next(frame_step& s);
    std::size_t frame_vectors() const { return m_frame_vectors; }
    // Frames of a batch of `vectors` vectors.
    std::uint64_t frames(std::size_t vectors) const;

private:
    std::shared_ptr<const frame_plan> m_plan;
    std::size_t m_frame_vectors;
    std::size_t m_vectors = 0, m_offset = 0, m_tile = 0;
    int m_cycle = 0;
    std::uint64_t m_first_vector = 0;
};

// The blocks composed as the controller sequences them: per range of `frame_vectors` vectors,
// per tile, per cycle, drive -> evaluate -> convert -> digital -> shift-add. Equal to mvm_engine.
class frame_pipeline {
public:
    frame_pipeline(const cim_params& p, const std::int32_t* w, std::size_t outputs, std::size_t rows,
                   std::vector<row_tile> tiles, std::size_t frame_vectors = 64,
                   kernel_isa isa = kernel_isa::automatic);
    // As mvm_engine::run: out[v][o] numerators over denominator(); counters accumulate.
    void run(const std::int32_t* x, std::size_t vectors, std::uint64_t first_vector, const stream_key& key,
             std::int64_t* out);
    std::int64_t denominator() const { return m_plan->denominator(); }
    const frame_plan& plan() const { return *m_plan; }
    const engine_counters& counters() const { return m_counters; }
    void reset_counters() { m_counters = {}; }
    std::uint64_t frames() const { return m_frames; }  // frames pushed so far

private:
    std::shared_ptr<const frame_plan> m_plan;
    frame_sequencer m_sequencer;
    frame_data m_frame;
    wordline_core m_wordline;
    array_core m_array;
    adc_core m_adc;
    digital_core m_digital;
    shift_add_core m_shift_add;
    engine_counters m_counters;
    std::uint64_t m_frames = 0;
};

}  // namespace acim::core
