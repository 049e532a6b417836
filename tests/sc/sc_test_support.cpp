#include "sc_test_support.hpp"

#include <acim/core/engine.hpp>

#include <random>

namespace acim::test {

namespace regmap = acim::tlm;

// ---------------------------------------------------------------------------------------------
// Reports

namespace {

struct expectation {
    sc_core::sc_severity severity;
    std::string msg_type;
    std::string text;
    int seen = 0;
};
std::vector<expectation>& expectations() {
    static std::vector<expectation> e;
    return e;
}

const char* severity_name(sc_core::sc_severity s) {
    switch (s) {
    case sc_core::SC_INFO: return "info";
    case sc_core::SC_WARNING: return "warning";
    case sc_core::SC_ERROR: return "error";
    case sc_core::SC_FATAL: return "fatal";
    default: return "report";
    }
}

void failing_handler(const sc_core::sc_report& r, const sc_core::sc_actions& actions) {
    if (r.get_severity() != sc_core::SC_INFO) {
        bool expected = false;
        for (expectation& e : expectations()) {
            if (e.severity == r.get_severity() && e.msg_type == r.get_msg_type() &&
                std::string(r.get_msg()).find(e.text) != std::string::npos) {
                ++e.seen;
                expected = true;
            }
        }
        if (!expected)
            ADD_FAILURE() << "unexpected SystemC " << severity_name(r.get_severity()) << " [" << r.get_msg_type()
                          << "]: " << r.get_msg();
    }
    sc_core::sc_report_handler::default_handler(r, actions);
}

}  // namespace

void install_report_handler() {
    sc_core::sc_report_handler::set_handler(failing_handler);
    // "Simulation stopped by user." ends every bench; keep the logs for what matters.
    sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
}

void expect_report(sc_core::sc_severity severity, const std::string& msg_type, const std::string& text) {
    expectations().push_back(expectation{severity, msg_type, text, 0});
}

// ---------------------------------------------------------------------------------------------
// Initiator

bus_initiator::bus_initiator(const sc_core::sc_module_name& name, std::function<void()> body)
    : sc_module(name), bus_out("bus_out"), irq_in("irq_in"), m_body(std::move(body)) {
    bus_out.register_invalidate_direct_mem_ptr(this, &bus_initiator::invalidate_direct_mem_ptr);
    SC_THREAD(run);
}

void bus_initiator::run() {
    m_body();
    finished = true;
    sc_core::sc_stop();
}

void bus_initiator::invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) {
    invalidations.emplace_back(start, end);
}

::tlm::tlm_response_status bus_initiator::access(::tlm::tlm_generic_payload& gp) {
    sc_core::sc_time delay = decoupled ? local : sc_core::SC_ZERO_TIME;
    bus_out->b_transport(gp, delay);
    if (decoupled) {
        local = delay;
    } else {
        wait(delay);
    }
    return gp.get_response_status();
}

void prepare_payload(::tlm::tlm_generic_payload& gp, ::tlm::tlm_command cmd, std::uint64_t addr, unsigned char* data,
                     unsigned len) {
    gp.set_command(cmd);
    gp.set_address(addr);
    gp.set_data_ptr(data);
    gp.set_data_length(len);
    gp.set_streaming_width(len);
    gp.set_byte_enable_ptr(nullptr);
    gp.set_byte_enable_length(0);
    gp.set_dmi_allowed(false);
    gp.set_response_status(::tlm::TLM_INCOMPLETE_RESPONSE);
}

::tlm::tlm_response_status bus_initiator::read32(std::uint64_t addr, std::uint32_t& value) {
    unsigned char b[4] = {0, 0, 0, 0};
    ::tlm::tlm_generic_payload gp;
    prepare_payload(gp, ::tlm::TLM_READ_COMMAND, addr, b, 4);
    const auto s = access(gp);
    value = static_cast<std::uint32_t>(b[0]) | static_cast<std::uint32_t>(b[1]) << 8 |
            static_cast<std::uint32_t>(b[2]) << 16 | static_cast<std::uint32_t>(b[3]) << 24;
    return s;
}

::tlm::tlm_response_status bus_initiator::write32(std::uint64_t addr, std::uint32_t value) {
    unsigned char b[4];
    for (unsigned k = 0; k < 4; ++k) b[k] = static_cast<unsigned char>((value >> (8 * k)) & 0xFFu);
    ::tlm::tlm_generic_payload gp;
    prepare_payload(gp, ::tlm::TLM_WRITE_COMMAND, addr, b, 4);
    return access(gp);
}

std::uint32_t bus_initiator::rd(std::uint64_t addr) {
    std::uint32_t v = 0;
    const auto s = read32(addr, v);
    EXPECT_EQ(s, ::tlm::TLM_OK_RESPONSE) << "read of 0x" << std::hex << addr;
    return v;
}

void bus_initiator::wr(std::uint64_t addr, std::uint32_t value) {
    const auto s = write32(addr, value);
    EXPECT_EQ(s, ::tlm::TLM_OK_RESPONSE) << "write of 0x" << std::hex << addr;
}

::tlm::tlm_response_status bus_initiator::write_bytes(std::uint64_t addr, const std::vector<unsigned char>& bytes) {
    std::vector<unsigned char> copy = bytes;
    ::tlm::tlm_generic_payload gp;
    prepare_payload(gp, ::tlm::TLM_WRITE_COMMAND, addr, copy.data(), static_cast<unsigned>(copy.size()));
    return access(gp);
}

::tlm::tlm_response_status bus_initiator::read_bytes(std::uint64_t addr, std::vector<unsigned char>& bytes) {
    ::tlm::tlm_generic_payload gp;
    prepare_payload(gp, ::tlm::TLM_READ_COMMAND, addr, bytes.data(), static_cast<unsigned>(bytes.size()));
    return access(gp);
}

unsigned bus_initiator::debug(::tlm::tlm_command cmd, std::uint64_t addr, unsigned char* data, unsigned len) {
    ::tlm::tlm_generic_payload gp;
    prepare_payload(gp, cmd, addr, data, len);
    return bus_out->transport_dbg(gp);
}

bool bus_initiator::get_dmi(std::uint64_t addr, ::tlm::tlm_command cmd, ::tlm::tlm_dmi& dmi) {
    ::tlm::tlm_generic_payload gp;
    unsigned char b = 0;
    prepare_payload(gp, cmd, addr, &b, 1);
    dmi.init();
    return bus_out->get_direct_mem_ptr(gp, dmi);
}

void bus_initiator::wait_irq() {
    if (!irq_in.read()) wait(irq_in.posedge_event());
}

void bus_initiator::sync_local() {
    wait(local);
    local = sc_core::SC_ZERO_TIME;
}

// ---------------------------------------------------------------------------------------------
// Bench

macro_bench::macro_bench(const sc::macro_config& cfg, const std::function<void(macro_bench&)>& body)
    : dut("dut", cfg), cpu("cpu", [this, body] { body(*this); }), irq("irq") {
    cpu.bus_out.bind(dut.bus_in);
    dut.irq_out(irq);
    cpu.irq_in(irq);
}

sc::macro_config small_macro_config() {
    sc::macro_config cfg;
    cfg.rows = 64;
    cfg.cols = 64;
    cfg.adcs = 16;
    cfg.input_depth = 8;
    return cfg;
}

void run_bench(const sc::macro_config& cfg, const std::function<void(macro_bench&)>& body) {
    // Lives until the process ends: SystemC objects must not be destroyed before the simulator.
    static macro_bench* bench = nullptr;
    ASSERT_EQ(bench, nullptr) << "SystemC elaborates once per process: one run_bench per test";
    bench = new macro_bench(cfg, body);
    sc_core::sc_start();
    EXPECT_TRUE(bench->cpu.finished) << "the test body did not finish (waiting for an event that never came)";
    for (const auto& e : expectations())
        EXPECT_GT(e.seen, 0) << "expected SystemC " << severity_name(e.severity) << " [" << e.msg_type
                             << "] containing \"" << e.text << "\" never arrived";
    expectations().clear();
}

// ---------------------------------------------------------------------------------------------
// Layers

layer_setup random_layer(const core::cim_params& p, std::size_t outputs, std::size_t rows, std::size_t vectors,
                         std::uint64_t seed) {
    layer_setup l;
    l.p = p;
    l.outputs = outputs;
    l.rows = rows;
    l.vectors = vectors;
    std::mt19937_64 gen(seed);
    std::uniform_int_distribution<std::int32_t> wd(-(1 << (p.wbit - 1)), (1 << (p.wbit - 1)) - 1);
    const std::int32_t xlo = p.signed_act ? -(1 << (p.xbit - 1)) : 0;
    const std::int32_t xhi = p.signed_act ? (1 << (p.xbit - 1)) - 1 : (1 << p.xbit) - 1;
    std::uniform_int_distribution<std::int32_t> xd(xlo, xhi);
    std::bernoulli_distribution zero(0.25);  // sparse inputs, as after a ReLU
    l.w.resize(outputs * rows);
    for (auto& v : l.w) v = wd(gen);
    l.x.resize(vectors * rows);
    for (auto& v : l.x) v = zero(gen) ? 0 : xd(gen);
    l.key.seed = seed * 0x9E3779B97F4A7C15ULL + 1;
    l.key.die = 3;
    l.key.macro = 1;
    l.key.layer = 2;
    return l;
}

std::vector<unsigned char> weight_image(const layer_setup& l, std::size_t cols, std::size_t hw_rows) {
    // Row r is cols/8 bytes; column c = o*wbit + i is bit c%8 of byte c/8 of the row.
    std::vector<unsigned char> img(hw_rows * cols / 8, 0);
    const auto wbit = static_cast<std::size_t>(l.p.wbit);
    for (std::size_t o = 0; o < l.outputs; ++o)
        for (std::size_t r = 0; r < l.rows; ++r)
            for (std::size_t i = 0; i < wbit; ++i) {
                const std::size_t c = o * wbit + i;
                if ((static_cast<std::uint32_t>(l.w[o * l.rows + r]) >> i) & 1u)
                    img[r * cols / 8 + c / 8] = static_cast<unsigned char>(img[r * cols / 8 + c / 8] | (1u << (c % 8)));
            }
    return img;
}

std::vector<unsigned char> input_image(const layer_setup& l) {
    const std::size_t b = l.p.xbit <= 8 ? 1 : 2;
    std::vector<unsigned char> img(l.x.size() * b);
    for (std::size_t k = 0; k < l.x.size(); ++k) {
        const auto u = static_cast<std::uint16_t>(l.x[k]);  // two's complement
        img[k * b] = static_cast<unsigned char>(u & 0xFF);
        if (b == 2) img[k * b + 1] = static_cast<unsigned char>(u >> 8);
    }
    return img;
}

std::vector<std::int64_t> decode_output_image(const std::vector<unsigned char>& bytes) {
    std::vector<std::int64_t> out(bytes.size() / 8);
    for (std::size_t k = 0; k < out.size(); ++k) {
        std::uint64_t u = 0;
        for (int b = 7; b >= 0; --b) u = (u << 8) | bytes[k * 8 + static_cast<std::size_t>(b)];
        out[k] = static_cast<std::int64_t>(u);
    }
    return out;
}

std::vector<std::pair<std::uint32_t, std::uint32_t>> config_writes(const layer_setup& l) {
    namespace R = regmap::reg;
    const core::cim_params& p = l.p;
    auto u = [](int v) { return static_cast<std::uint32_t>(v); };
    std::vector<std::pair<std::uint32_t, std::uint32_t>> w = {
        {R::wbit, u(p.wbit)},
        {R::xbit, u(p.xbit)},
        {R::signed_act, p.signed_act ? 1u : 0u},
        {R::act_enc, u(p.act_enc)},
        {R::adc_kind, static_cast<std::uint32_t>(p.adc_arch)},
        {R::adc_bits, u(p.adc_bits)},
        {R::row_par, u(p.row_parallelism)},
        {R::hybrid_levels, u(p.hybrid_levels)},
        {R::digital_mode, p.digital == core::digital_mode::adc ? 1u : 0u},
        {R::voting_levels, u(p.voting_levels)},
        {R::voting_samples, u(p.voting_samples)},
        {R::vote_rule, p.vote == core::vote_rule::median ? 1u : 0u},
        {R::sigma_rand, static_cast<std::uint32_t>(std::llround(p.sigma_rand * 1e4))},
        {R::sigma_nl, static_cast<std::uint32_t>(std::llround(p.sigma_nl * 1e4))},
        {R::gain_comp, static_cast<std::uint32_t>(std::llround(p.gain_compression * 1e6))},
        {R::cell_sigma, static_cast<std::uint32_t>(std::llround(p.cell_sigma * 1e4))},
        {R::col_gain_sigma, static_cast<std::uint32_t>(std::llround(p.sigma_col_gain * 1e4))},
        {R::col_offset_sigma, static_cast<std::uint32_t>(std::llround(p.sigma_col_offset * 1e4))},
        {R::cmp_offset_sigma, static_cast<std::uint32_t>(std::llround(p.sigma_cmp_offset * 1e4))},
        {R::sar_cap_sigma, static_cast<std::uint32_t>(std::llround(p.sigma_sar_cap * 1e4))},
        {R::flash_th_sigma, static_cast<std::uint32_t>(std::llround(p.sigma_flash_th * 1e4))},
        {R::seed_lo, static_cast<std::uint32_t>(l.key.seed & 0xFFFFFFFFu)},
        {R::seed_hi, static_cast<std::uint32_t>(l.key.seed >> 32)},
        {R::die_id, l.key.die},
        {R::macro_id, l.key.macro},
        {R::layer_id, l.key.layer},
        {R::column_base, l.key.column_base},
        {R::tile_base, l.key.tile_base},
        {R::vector_base_lo, static_cast<std::uint32_t>(l.first_vector & 0xFFFFFFFFu)},
        {R::vector_base_hi, static_cast<std::uint32_t>(l.first_vector >> 32)},
        {R::rows_used, static_cast<std::uint32_t>(l.rows)},
        {R::outputs, static_cast<std::uint32_t>(l.outputs)},
        {R::batch, static_cast<std::uint32_t>(l.vectors)},
        {R::tile_mode, l.tiles.empty() ? regmap::tile_mode_dense : regmap::tile_mode_list},
        {R::tile_count, static_cast<std::uint32_t>(l.tiles.size())},
    };
    for (std::size_t n = 0; n < l.tiles.size(); ++n)
        w.emplace_back(R::tile + 4 * static_cast<std::uint32_t>(n),
                       static_cast<std::uint32_t>(l.tiles[n].begin) | static_cast<std::uint32_t>(l.tiles[n].end) << 16);
    return w;
}

void program(bus_initiator& cpu, const layer_setup& l, const sc::macro_config& cfg) {
    for (const auto& [off, v] : config_writes(l)) cpu.wr(regmap::addr::reg_base + off, v);
    EXPECT_EQ(cpu.write_bytes(regmap::addr::weight_base, weight_image(l, cfg.cols, cfg.rows)), ::tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(cpu.write_bytes(regmap::addr::input_base, input_image(l)), ::tlm::TLM_OK_RESPONSE);
}

std::vector<std::int64_t> read_outputs(bus_initiator& cpu, const layer_setup& l) {
    std::vector<unsigned char> bytes(l.vectors * l.outputs * 8);
    EXPECT_EQ(cpu.read_bytes(regmap::addr::output_base, bytes), ::tlm::TLM_OK_RESPONSE);
    return decode_output_image(bytes);
}

engine_reference run_engine(const layer_setup& l) {
    core::mvm_engine e(l.p);
    e.load_weights(l.w.data(), l.outputs, l.rows,
                   l.tiles.empty() ? core::dense_tiling(l.rows, l.p.row_parallelism) : l.tiles);
    engine_reference r;
    r.num.assign(l.vectors * l.outputs, 0);
    e.run(l.x.data(), l.vectors, l.first_vector, l.key, r.num.data());
    r.den = e.denominator();
    r.counters = e.counters();
    return r;
}

std::uint64_t read64(bus_initiator& cpu, std::uint32_t lo) {
    const std::uint64_t a = cpu.rd(regmap::addr::reg_base + lo);
    const std::uint64_t b = cpu.rd(regmap::addr::reg_base + lo + 4);
    return a | (b << 32);
}

}  // namespace acim::test
