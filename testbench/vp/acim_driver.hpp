// acim_driver: the firmware of one ACiM macro, as a CPU would run it. It knows the macro only
// through its register map (docs/register_map.md) and the documented buffer layouts, and touches
// it only through a bus_port: 32-bit register reads and writes, block copies into the weight SRAM
// and the input buffer and out of the output buffer, and the interrupt line. It programs a layer,
// writes the weights as the physical SRAM bit array, streams input batches of at most HW_DEPTH
// vectors, waits for DONE (interrupt or polling) and reads the exact output numerators.
//
// Usable from any initiator: the example platform's CPU, the workload driver, or a bus_port that
// bridges into another simulator. Plain C++: no SystemC types.
#pragma once

#include <acim/vp/bus_port.hpp>

#include <acim/core/cim_params.hpp>
#include <acim/core/layer.hpp>
#include <acim/core/rng.hpp>
#include <acim/sc/macro_config.hpp>
#include <acim/tlm/register_table.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace acim::vp {

// What probe() reads from the identity and instance registers.
struct macro_info {
    std::uint32_t id = 0;
    std::uint32_t version = 0;
    std::uint32_t rows = 0;   // HW_ROWS
    std::uint32_t cols = 0;   // HW_COLS
    std::uint32_t adcs = 0;   // HW_ADCS
    std::uint32_t depth = 0;  // HW_DEPTH: the largest batch
    std::uint64_t clock_period_ps = 0;
};

// One layer (or one tile of a layer) as the macro computes it.
struct layer_config {
    core::cim_params params;               // precision, encoding, ADC (ADC_KIND = adc_arch), HCiM,
                                           // voting, noise: every register-carried field
    std::size_t rows = 1;                  // reduction length: ROWS_USED
    std::size_t outputs = 1;               // output channels: OUTPUTS
    std::vector<core::row_tile> tiles;     // empty: dense tiles of ROW_PAR rows
    core::stream_key key;                  // SEED, DIE_ID, MACRO_ID, LAYER_ID, COLUMN_BASE
};

// The performance counters of the macro.
struct macro_counters {
    std::uint64_t cycles = 0;
    std::uint64_t conversions = 0;
    std::uint64_t digital_cycles = 0;
    std::uint64_t votes = 0;
    std::uint64_t saturations = 0;
    std::uint64_t energy_fj = 0;
    std::uint32_t runs = 0;
    macro_counters operator-(const macro_counters& before) const;
};

enum class completion {
    interrupt,  // sleep until the interrupt line rises, then read IRQ_STATUS
    polling,    // read STATUS until BUSY clears (no interrupt wiring needed)
};

struct driver_options {
    completion mode = completion::interrupt;
    std::uint64_t poll_interval_ps = 0;  // idle time between two STATUS reads when polling
};

// A layer the macro cannot run, or a START the macro rejected (code and ERROR_ADDR from the macro).
class driver_error : public std::runtime_error {
public:
    explicit driver_error(const std::string& what, acim::tlm::error_code code = acim::tlm::error_code::none,
                          std::uint32_t where = 0);
    acim::tlm::error_code code() const { return m_code; }
    std::uint32_t where() const { return m_where; }

private:
    acim::tlm::error_code m_code;
    std::uint32_t m_where;
};

class acim_driver {
public:
    // The macro whose register block starts at `base` on `bus`, with its interrupt on `irq_line`.
    acim_driver(bus_port& bus, std::uint64_t base, unsigned irq_line, driver_options opt = {});

    // Reads ID, VERSION and the instance registers; throws driver_error if no macro answers.
    const macro_info& probe();
    const macro_info& info() const { return m_info; }
    std::uint64_t base() const { return m_base; }

    // The parameters the macro computes with: noise settings rounded to the register resolution
    // (docs/register_map.md, "Fixed-point settings"). A reference computation must use these.
    static core::cim_params register_values(const core::cim_params& p);

    // Writes every configuration register of the layer (probing first if needed). Throws
    // driver_error if the layer does not fit the instance or a setting has no register encoding.
    void configure(const layer_config& l);
    const layer_config& layer() const { return m_layer; }

    // Writes weights w[outputs][rows] (codes in the WBIT range) into the SRAM in its physical bit
    // layout: the used bytes of each row, one row write each, or one block when rows are full.
    void load_weights(const std::int32_t* w);

    // Computes out[v][o] for `vectors` input vectors x[v][rows], in batches of at most HW_DEPTH
    // vectors; `first_vector` is the global index of x's first vector (noise keys).
    void run_batch(const std::int32_t* x, std::size_t vectors, std::uint64_t first_vector, std::int64_t* out);
    std::vector<std::int64_t> run_batch(const std::vector<std::int32_t>& x, std::uint64_t first_vector = 0);

    // Split phase, to keep several macros busy at once: submit() writes one batch (<= HW_DEPTH
    // vectors) and START and returns; collect() waits for completion and reads the outputs.
    void submit(const std::int32_t* x, std::size_t vectors, std::uint64_t first_vector);
    void collect(std::int64_t* out);
    bool pending() const { return m_pending != 0; }

    // OUT_DENOM of the last collected batch: output = numerator / denominator exactly.
    std::int64_t denominator() const { return m_denominator; }
    macro_counters read_counters();
    // CTRL.SOFT_RESET: every register back to reset; the layer must be configured again.
    void soft_reset();

private:
    std::uint64_t reg(std::uint32_t offset) const { return m_base + acim::tlm::addr::reg_base + offset; }
    std::uint32_t rd(std::uint32_t offset) { return m_bus.read32(reg(offset)); }
    void wr(std::uint32_t offset, std::uint32_t value) { m_bus.write32(reg(offset), value); }
    std::uint64_t read64(std::uint32_t lo);
    std::uint32_t wait_done();
    void require_configured(const char* what) const;
    std::string where() const;

    bus_port& m_bus;
    std::uint64_t m_base;
    unsigned m_irq_line;
    driver_options m_opt;
    macro_info m_info;
    bool m_probed = false;
    bool m_configured = false;
    layer_config m_layer;
    std::size_t m_pending = 0;  // vectors of the submitted, not yet collected batch
    std::int64_t m_denominator = 0;
    std::vector<unsigned char> m_bytes;  // staging buffer of block copies
};

}  // namespace acim::vp
