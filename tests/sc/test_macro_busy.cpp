// The run state machine: what is rejected and flagged while BUSY, soft reset, and START with an
// invalid configuration (ERROR with a code and the register, a warning naming the field, no run).
#include "sc_test_support.hpp"

#include <gtest/gtest.h>

using namespace acim;
namespace regmap = acim::tlm;

namespace {

sc::macro_config instance() {
    sc::macro_config cfg;
    cfg.rows = 128;
    cfg.cols = 128;
    cfg.adcs = 16;
    cfg.input_depth = 16;
    return cfg;
}

test::layer_setup layer(std::uint64_t seed = 9) {
    core::cim_params p;
    p.row_parallelism = 63;
    p.sigma_rand = 0.3;
    return test::random_layer(p, 12, 100, 16, seed);
}

void start(test::bus_initiator& cpu) { cpu.wr(regmap::reg::ctrl, regmap::ctrl_start | regmap::ctrl_irq_enable); }

void expect_flagged(test::bus_initiator& cpu, regmap::error_code code, std::uint64_t where) {
    EXPECT_TRUE(cpu.rd(regmap::reg::status) & regmap::status_error);
    EXPECT_EQ(cpu.rd(regmap::reg::error_code), static_cast<std::uint32_t>(code));
    EXPECT_EQ(cpu.rd(regmap::reg::error_addr), static_cast<std::uint32_t>(where));
    EXPECT_TRUE(cpu.rd(regmap::reg::irq_status) & regmap::irq_error);
}

}  // namespace

TEST(macro_busy, configuration_writes_are_rejected_and_flagged) {
    const sc::macro_config cfg = instance();
    const test::layer_setup l = layer();
    test::run_bench(cfg, [&](test::macro_bench& b) {
        test::bus_initiator& cpu = b.cpu;
        test::program(cpu, l, cfg);
        start(cpu);
        cpu.invalidations.clear();
        for (const regmap::register_info& r : regmap::register_table()) {
            if (r.group != regmap::reg_group::configuration) continue;
            const std::uint32_t before = cpu.rd(r.offset);
            EXPECT_EQ(cpu.write32(r.offset, before ^ 1u), ::tlm::TLM_GENERIC_ERROR_RESPONSE) << r.name;
            EXPECT_EQ(cpu.rd(r.offset), before) << r.name << " changed while busy";
            expect_flagged(cpu, regmap::error_code::config_write_busy, r.offset);
        }
        EXPECT_TRUE(cpu.invalidations.empty());
        EXPECT_TRUE(cpu.rd(regmap::reg::status) & regmap::status_busy);
        EXPECT_TRUE(b.irq.read()) << "the error cause raised the interrupt";
        cpu.wr(regmap::reg::irq_status, regmap::irq_error);
        cpu.wait_irq();
        // The run itself was not disturbed.
        EXPECT_EQ(cpu.rd(regmap::reg::status), regmap::status_done | regmap::status_error);
        EXPECT_EQ(test::read_outputs(cpu, l), test::run_engine(l).num);
        // After DONE the same writes are accepted; an accepted START clears the error.
        cpu.wr(regmap::reg::layer_id, 5);
        EXPECT_EQ(cpu.rd(regmap::reg::layer_id), 5u);
        cpu.wr(regmap::reg::irq_status, regmap::irq_done | regmap::irq_error);
        start(cpu);
        EXPECT_EQ(cpu.rd(regmap::reg::status), regmap::status_busy);
        EXPECT_EQ(cpu.rd(regmap::reg::error_code), 0u);
        EXPECT_EQ(cpu.rd(regmap::reg::error_addr), 0u);
        cpu.wait_irq();
        EXPECT_EQ(cpu.rd(regmap::reg::status), regmap::status_done);
    });
}

TEST(macro_busy, buffer_writes_and_start_are_rejected_and_flagged) {
    const sc::macro_config cfg = instance();
    const test::layer_setup l = layer();
    test::run_bench(cfg, [&](test::macro_bench& b) {
        test::bus_initiator& cpu = b.cpu;
        test::program(cpu, l, cfg);
        start(cpu);
        std::vector<unsigned char> w(16), x(16), got(16), before(16);
        EXPECT_EQ(cpu.read_bytes(regmap::addr::weight_base + 64, before), ::tlm::TLM_OK_RESPONSE);
        for (auto& v : w) v = static_cast<unsigned char>(~before[0]);
        EXPECT_EQ(cpu.write_bytes(regmap::addr::weight_base + 64, w), ::tlm::TLM_GENERIC_ERROR_RESPONSE);
        EXPECT_EQ(cpu.read_bytes(regmap::addr::weight_base + 64, got), ::tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(got, before);
        expect_flagged(cpu, regmap::error_code::buffer_write_busy, regmap::addr::weight_base + 64);

        EXPECT_EQ(cpu.read_bytes(regmap::addr::input_base + 8, before), ::tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(cpu.write_bytes(regmap::addr::input_base + 8, x), ::tlm::TLM_GENERIC_ERROR_RESPONSE);
        EXPECT_EQ(cpu.read_bytes(regmap::addr::input_base + 8, got), ::tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(got, before);
        expect_flagged(cpu, regmap::error_code::buffer_write_busy, regmap::addr::input_base + 8);

        // START while busy: the whole CTRL write is dropped, IRQ_ENABLE included.
        EXPECT_EQ(cpu.write32(regmap::reg::ctrl, regmap::ctrl_start), ::tlm::TLM_GENERIC_ERROR_RESPONSE);
        EXPECT_EQ(cpu.rd(regmap::reg::ctrl), regmap::ctrl_irq_enable);
        expect_flagged(cpu, regmap::error_code::start_busy, regmap::reg::ctrl);

        // Not configuration: accepted while busy.
        cpu.wr(regmap::reg::irq_status, regmap::irq_error);
        EXPECT_EQ(cpu.rd(regmap::reg::irq_status), 0u);
        cpu.wr(regmap::reg::ctrl, regmap::ctrl_irq_enable | regmap::ctrl_clear_counters);
        EXPECT_EQ(cpu.read_bytes(regmap::addr::output_base, got), ::tlm::TLM_OK_RESPONSE);
        EXPECT_TRUE(cpu.rd(regmap::reg::status) & regmap::status_busy);
        cpu.wait_irq();
        EXPECT_EQ(test::read_outputs(cpu, l), test::run_engine(l).num);
        EXPECT_EQ(cpu.rd(regmap::reg::runs), 1u);
    });
}

TEST(macro_busy, outputs_change_only_at_done) {
    const sc::macro_config cfg = instance();
    const test::layer_setup a = layer(1);
    test::layer_setup c = layer(2);
    test::run_bench(cfg, [&](test::macro_bench& b) {
        test::bus_initiator& cpu = b.cpu;
        test::program(cpu, a, cfg);
        start(cpu);
        cpu.wait_irq();
        cpu.wr(regmap::reg::irq_status, regmap::irq_done);
        const std::vector<std::int64_t> first = test::read_outputs(cpu, a);
        EXPECT_EQ(first, test::run_engine(a).num);
        test::program(cpu, c, cfg);
        start(cpu);
        EXPECT_EQ(test::read_outputs(cpu, c), first) << "while busy the buffer holds the previous run";
        EXPECT_EQ(cpu.rd(regmap::reg::runs), 1u);
        cpu.wait_irq();
        EXPECT_EQ(test::read_outputs(cpu, c), test::run_engine(c).num);
        EXPECT_EQ(cpu.rd(regmap::reg::runs), 2u);
    });
}

TEST(macro_busy, soft_reset_aborts_a_run) {
    const sc::macro_config cfg = instance();
    const test::layer_setup l = layer();
    test::run_bench(cfg, [&](test::macro_bench& b) {
        test::bus_initiator& cpu = b.cpu;
        test::program(cpu, l, cfg);
        std::vector<unsigned char> y_before(l.vectors * l.outputs * 8);
        EXPECT_EQ(cpu.read_bytes(regmap::addr::output_base, y_before), ::tlm::TLM_OK_RESPONSE);
        std::vector<unsigned char> w_before(b.dut.windows().weight);
        EXPECT_EQ(cpu.read_bytes(regmap::addr::weight_base, w_before), ::tlm::TLM_OK_RESPONSE);
        start(cpu);
        const sc_core::sc_time done = b.dut.done_time();
        cpu.wr(regmap::reg::ctrl, regmap::ctrl_soft_reset | regmap::ctrl_start);
        EXPECT_EQ(cpu.rd(regmap::reg::status), 0u);
        EXPECT_EQ(cpu.rd(regmap::reg::wbit), 8u) << "configuration back to reset";
        EXPECT_EQ(cpu.rd(regmap::reg::rows_used), 1u);
        EXPECT_EQ(cpu.rd(regmap::reg::ctrl), 0u);
        EXPECT_EQ(test::read64(cpu, regmap::reg::energy_lo), 0u) << "counters cleared";
        wait(done + sc_core::sc_time(1, sc_core::SC_US) - sc_core::sc_time_stamp());
        EXPECT_FALSE(b.irq.read());
        EXPECT_EQ(cpu.rd(regmap::reg::status), 0u) << "the aborted run never completes";
        EXPECT_EQ(cpu.rd(regmap::reg::runs), 0u);
        std::vector<unsigned char> y(y_before.size()), w(w_before.size());
        EXPECT_EQ(cpu.read_bytes(regmap::addr::output_base, y), ::tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(y, y_before) << "no results of the aborted run";
        EXPECT_EQ(cpu.read_bytes(regmap::addr::weight_base, w), ::tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(w, w_before) << "buffers keep their contents";
    });
}

// ---------------------------------------------------------------------------------------------
// Invalid configuration at START

namespace {

struct bad_case {
    std::string name;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> writes;  // on top of a valid layer
    regmap::error_code code = regmap::error_code::bad_config;
    std::uint64_t where = 0;
    std::string text;  // the warning names this
    std::function<void(test::layer_setup&)> edit_layer = [](test::layer_setup&) {};
};

std::vector<bad_case> bad_cases() {
    namespace R = regmap::reg;
    using C = std::vector<std::pair<std::uint32_t, std::uint32_t>>;
    std::vector<bad_case> c;
    c.push_back({"wbit_too_wide", C{{R::wbit, 17}}, regmap::error_code::bad_config, R::wbit, "WBIT"});
    c.push_back({"wbit_huge", C{{R::wbit, 0xFFFFFFFFu}}, regmap::error_code::bad_config, R::wbit, "WBIT"});
    c.push_back({"xbit_zero", C{{R::xbit, 0}}, regmap::error_code::bad_config, R::xbit, "XBIT"});
    c.push_back({"act_enc_beyond_xbit", C{{R::act_enc, 9}}, regmap::error_code::bad_config, R::act_enc, "ACT_ENC"});
    c.push_back({"signed_act_enc_equals_xbit", C{{R::signed_act, 1}, {R::act_enc, 8}}, regmap::error_code::bad_config,
                 R::act_enc, "ACT_ENC"});
    c.push_back({"signed_act_not_boolean", C{{R::signed_act, 2}}, regmap::error_code::bad_config, R::signed_act,
                 "SIGNED_ACT"});
    c.push_back({"adc_kind_unknown", C{{R::adc_kind, 3}}, regmap::error_code::bad_config, R::adc_kind, "ADC_KIND"});
    c.push_back({"adc_bits_zero", C{{R::adc_bits, 0}}, regmap::error_code::bad_config, R::adc_bits, "ADC_BITS"});
    c.push_back({"row_par_zero", C{{R::row_par, 0}}, regmap::error_code::bad_config, R::row_par, "ROW_PAR"});
    c.push_back({"hybrid_levels_beyond_grid", C{{R::hybrid_levels, 16}}, regmap::error_code::bad_config,
                 R::hybrid_levels, "HYBRID_LEVELS"});
    c.push_back({"digital_mode_unknown", C{{R::digital_mode, 7}}, regmap::error_code::bad_config, R::digital_mode,
                 "DIGITAL_MODE"});
    c.push_back({"voting_samples_zero", C{{R::voting_samples, 0}}, regmap::error_code::bad_config, R::voting_samples,
                 "VOTING_SAMPLES"});
    c.push_back({"vote_rule_unknown", C{{R::vote_rule, 2}}, regmap::error_code::bad_config, R::vote_rule,
                 "VOTE_RULE"});
    c.push_back({"rows_used_beyond_sram", C{{R::rows_used, 129}}, regmap::error_code::bad_config, R::rows_used,
                 "ROWS_USED"});
    c.push_back({"outputs_beyond_columns", C{{R::outputs, 17}}, regmap::error_code::bad_config, R::outputs,
                 "OUTPUTS"});
    c.push_back({"batch_zero", C{{R::batch, 0}}, regmap::error_code::bad_config, R::batch, "BATCH"});
    c.push_back({"batch_beyond_depth", C{{R::batch, 17}}, regmap::error_code::bad_config, R::batch, "BATCH"});
    c.push_back({"tile_mode_unknown", C{{R::tile_mode, 2}}, regmap::error_code::bad_config, R::tile_mode,
                 "TILE_MODE"});
    c.push_back({"tile_count_zero", C{{R::tile_mode, 1}, {R::tile_count, 0}}, regmap::error_code::bad_config,
                 R::tile_count, "TILE_COUNT"});
    c.push_back({"tile_count_beyond_table", C{{R::tile_mode, 1}, {R::tile_count, 65}}, regmap::error_code::bad_config,
                 R::tile_count, "TILE_COUNT"});
    c.push_back({"tiles_overlap",
                 C{{R::tile_mode, 1}, {R::tile_count, 2}, {R::tile, regmap::tile_entry(0, 50)},
                   {R::tile + 4, regmap::tile_entry(40, 100)}},
                 regmap::error_code::bad_config, R::tile + 4, "TILE[1]"});
    c.push_back({"tile_wider_than_row_par",
                 C{{R::tile_mode, 1}, {R::tile_count, 2}, {R::tile, regmap::tile_entry(0, 30)},
                   {R::tile + 4, regmap::tile_entry(30, 100)}},
                 regmap::error_code::bad_config, R::tile + 4, "more rows than row_parallelism"});
    c.push_back({"tile_beyond_rows_used",
                 C{{R::tile_mode, 1}, {R::tile_count, 1}, {R::tile, regmap::tile_entry(90, 120)}},
                 regmap::error_code::bad_config, R::tile, "TILE[0]"});
    c.push_back({"column_base_beyond_key_range", C{{R::column_base, 0xFFFFFF00u}}, regmap::error_code::bad_config,
                 R::column_base, "COLUMN_BASE"});
    bad_case input;
    input.name = "input_code_out_of_range";
    input.writes = C{{R::xbit, 5}};
    input.code = regmap::error_code::bad_input;
    input.edit_layer = [](test::layer_setup& l) {
        for (auto& v : l.x) v &= 31;  // valid 5-bit codes ...
        l.x[3 * l.rows + 7] = 32;     // ... but one
    };
    input.where = regmap::addr::input_base + 3 * 100 + 7;
    input.text = "vector 3, row 7";
    c.push_back(input);
    return c;
}

class invalid_start : public ::testing::TestWithParam<bad_case> {};

}  // namespace

TEST_P(invalid_start, sets_error_names_the_field_and_runs_nothing) {
    const bad_case& c = GetParam();
    const sc::macro_config cfg = instance();
    test::layer_setup l = layer();
    c.edit_layer(l);
    test::expect_report(sc_core::SC_WARNING, sc::acim_macro::msg_type, c.text);
    test::run_bench(cfg, [&](test::macro_bench& b) {
        test::bus_initiator& cpu = b.cpu;
        test::program(cpu, l, cfg);
        for (const auto& [off, v] : c.writes) cpu.wr(off, v);
        cpu.invalidations.clear();
        EXPECT_EQ(cpu.write32(regmap::reg::ctrl, regmap::ctrl_start | regmap::ctrl_irq_enable), ::tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(cpu.rd(regmap::reg::status), regmap::status_error) << "error, not busy";
        EXPECT_EQ(cpu.rd(regmap::reg::error_code), static_cast<std::uint32_t>(c.code));
        EXPECT_EQ(cpu.rd(regmap::reg::error_addr), static_cast<std::uint32_t>(c.where));
        EXPECT_EQ(cpu.rd(regmap::reg::irq_status), regmap::irq_error);
        EXPECT_TRUE(b.irq.read()) << "an interrupt-driven driver learns of the failure";
        EXPECT_TRUE(cpu.invalidations.empty()) << "nothing started";
        wait(sc_core::sc_time(1, sc_core::SC_MS));
        EXPECT_EQ(cpu.rd(regmap::reg::runs), 0u);
        EXPECT_EQ(test::read64(cpu, regmap::reg::cycles_lo), 0u);
        EXPECT_EQ(test::read_outputs(cpu, l), std::vector<std::int64_t>(l.vectors * l.outputs, 0));
    });
}

INSTANTIATE_TEST_SUITE_P(cases, invalid_start, ::testing::ValuesIn(bad_cases()),
                         [](const ::testing::TestParamInfo<bad_case>& pi) { return pi.param.name; });
