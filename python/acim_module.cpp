// acim._acim: the Python binding of the kernel-free core (docs/python.md). It exposes one layer of
// the macro as acim::core::mvm_engine computes it: integer weight and input codes in as numpy
// arrays, exact numerators (output = numerator / denominator) out, with the engine's counters, its
// per-cycle ADC code-error histograms and, on request, every conversion (cycle, ideal count, code,
// error, saturation). cim_params are a dict of field names; a wrong name, type or value is a
// ValueError / TypeError naming the field. The engine never calls Python, so run() releases the
// GIL.
#include <acim/core/cim_params.hpp>
#include <acim/core/engine.hpp>
#include <acim/core/error.hpp>
#include <acim/core/layer.hpp>
#include <acim/core/rng.hpp>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace py = pybind11;
using acim::core::cim_params;

namespace {

// The fields of cim_params by name and kind: one table for reading and writing.
struct int_field {
    const char* name;
    int cim_params::*member;
};
struct double_field {
    const char* name;
    double cim_params::*member;
};
struct bool_field {
    const char* name;
    bool cim_params::*member;
};
const int_field int_fields[] = {
    {"wbit", &cim_params::wbit},
    {"xbit", &cim_params::xbit},
    {"act_enc", &cim_params::act_enc},
    {"row_parallelism", &cim_params::row_parallelism},
    {"adc_bits", &cim_params::adc_bits},
    {"hybrid_levels", &cim_params::hybrid_levels},
    {"voting_levels", &cim_params::voting_levels},
    {"voting_samples", &cim_params::voting_samples},
    {"adcs", &cim_params::adcs},
};
const double_field double_fields[] = {
    {"sigma_rand", &cim_params::sigma_rand},
    {"sigma_nl", &cim_params::sigma_nl},
    {"gain_compression", &cim_params::gain_compression},
    {"cell_sigma", &cim_params::cell_sigma},
    {"sigma_col_gain", &cim_params::sigma_col_gain},
    {"sigma_col_offset", &cim_params::sigma_col_offset},
    {"sigma_cmp_offset", &cim_params::sigma_cmp_offset},
    {"sigma_sar_cap", &cim_params::sigma_sar_cap},
    {"sigma_flash_th", &cim_params::sigma_flash_th},
};
const bool_field bool_fields[] = {
    {"signed_act", &cim_params::signed_act},
    {"cell_redraw", &cim_params::cell_redraw},
    {"weight_bit_parallel", &cim_params::weight_bit_parallel},
};

const char* digital_name(acim::core::digital_mode m) { return m == acim::core::digital_mode::adc ? "adc" : "exact"; }
const char* vote_name(acim::core::vote_rule v) { return v == acim::core::vote_rule::median ? "median" : "mode_min"; }

std::string type_name(py::handle v) { return py::str(py::type::handle_of(v).attr("__name__")); }

[[noreturn]] void bad_type(const std::string& field, py::handle v, const char* want) {
    throw py::type_error("cim_params field '" + field + "': expected " + want + ", got " + type_name(v) + " " +
                         std::string(py::repr(v)));
}

// Python ints (and numpy integers) only: 2.0 or True for a bit width is a mistake, not a value.
int to_int(const std::string& field, py::handle v) {
    if (py::isinstance<py::bool_>(v) || !py::hasattr(v, "__index__")) bad_type(field, v, "an int");
    const auto n = v.attr("__index__")().cast<long long>();
    if (n < std::numeric_limits<int>::min() || n > std::numeric_limits<int>::max())
        throw py::value_error("cim_params field '" + field + "' = " + std::to_string(n) + ": out of the int range");
    return static_cast<int>(n);
}
double to_double(const std::string& field, py::handle v) {
    if (py::isinstance<py::bool_>(v) || !(py::isinstance<py::float_>(v) || py::hasattr(v, "__index__") ||
                                          py::hasattr(v, "__float__")))
        bad_type(field, v, "a number");
    return v.attr("__float__")().cast<double>();
}
bool to_bool(const std::string& field, py::handle v) {
    if (!py::isinstance<py::bool_>(v) && !py::isinstance(v, py::module_::import("numpy").attr("bool_")))
        bad_type(field, v, "a bool");
    return v.cast<bool>();
}
std::string to_choice(const std::string& field, py::handle v, const std::vector<std::string>& choices) {
    if (!py::isinstance<py::str>(v)) bad_type(field, v, "a str");
    const auto s = v.cast<std::string>();
    for (const auto& c : choices)
        if (c == s) return s;
    std::string all;
    for (const auto& c : choices) all += (all.empty() ? "" : ", ") + c;
    throw py::value_error("cim_params field '" + field + "' = '" + s + "': must be one of " + all);
}

cim_params params_from(const py::dict& d) {
    cim_params p;
    for (const auto& item : d) {
        if (!py::isinstance<py::str>(item.first)) bad_type("<key>", item.first, "a str field name");
        const auto key = item.first.cast<std::string>();
        const py::handle v = item.second;
        bool known = false;
        for (const auto& f : int_fields)
            if (key == f.name) p.*f.member = to_int(key, v), known = true;
        for (const auto& f : double_fields)
            if (key == f.name) p.*f.member = to_double(key, v), known = true;
        for (const auto& f : bool_fields)
            if (key == f.name) p.*f.member = to_bool(key, v), known = true;
        if (key == "digital") {
            p.digital = to_choice(key, v, {"exact", "adc"}) == "adc" ? acim::core::digital_mode::adc
                                                                     : acim::core::digital_mode::exact;
            known = true;
        } else if (key == "vote") {
            p.vote = to_choice(key, v, {"mode_min", "median"}) == "median" ? acim::core::vote_rule::median
                                                                           : acim::core::vote_rule::mode_min;
            known = true;
        } else if (key == "adc_arch") {
            const auto s = to_choice(key, v, {"ideal", "sar", "flash"});
            p.adc_arch = s == "sar"     ? acim::core::adc_architecture::sar
                         : s == "flash" ? acim::core::adc_architecture::flash
                                        : acim::core::adc_architecture::ideal;
            known = true;
        }
        if (!known) throw py::value_error("unknown cim_params field '" + key + "'");
    }
    p.validate();  // parameter_error (std::invalid_argument) -> ValueError naming the field
    return p;
}

py::dict params_to(const cim_params& p) {
    py::dict d;
    for (const auto& f : int_fields) d[f.name] = p.*f.member;
    for (const auto& f : double_fields) d[f.name] = p.*f.member;
    for (const auto& f : bool_fields) d[f.name] = p.*f.member;
    d["digital"] = digital_name(p.digital);
    d["vote"] = vote_name(p.vote);
    d["adc_arch"] = acim::core::to_string(p.adc_arch);
    return d;
}

acim::core::stream_key key_from(const std::optional<py::dict>& d) {
    acim::core::stream_key k;
    if (!d) return k;
    for (const auto& item : *d) {
        const auto name = py::str(item.first).cast<std::string>();
        const py::handle v = item.second;
        auto u = [&](std::uint64_t max) {
            if (py::isinstance<py::bool_>(v) || !py::hasattr(v, "__index__"))
                throw py::type_error("key field '" + name + "': expected an int, got " + type_name(v));
            const py::int_ n = v.attr("__index__")();
            if (n < py::int_(0) || n > py::int_(max))
                throw py::value_error("key field '" + name + "' = " + py::repr(n).cast<std::string>() + ": must be 0.." +
                                      std::to_string(max));
            return n.cast<std::uint64_t>();
        };
        constexpr auto u32 = std::numeric_limits<std::uint32_t>::max();
        if (name == "seed") k.seed = u(std::numeric_limits<std::uint64_t>::max());
        else if (name == "die") k.die = static_cast<std::uint32_t>(u(u32));
        else if (name == "macro") k.macro = static_cast<std::uint32_t>(u(u32));
        else if (name == "layer") k.layer = static_cast<std::uint32_t>(u(u32));
        else if (name == "column_base") k.column_base = static_cast<std::uint32_t>(u(u32));
        else if (name == "tile_base") k.tile_base = static_cast<std::uint32_t>(u(u32));
        else if (name == "epoch") k.epoch = u(std::numeric_limits<std::uint64_t>::max());
        else throw py::value_error("unknown key field '" + name +
                                   "' (seed, die, macro, layer, column_base, tile_base, epoch)");
    }
    return k;
}

// An integer numpy array of `ndim` dimensions as int32 codes, row-major. Floats are refused:
// codes are integers, and a silent truncation would hide a missing quantisation step.
std::vector<std::int32_t> codes_from(const char* what, const py::array& a, std::size_t& d0, std::size_t& d1) {
    const char kind = a.dtype().kind();
    if (kind != 'i' && kind != 'u' && kind != 'b')
        throw py::type_error(std::string(what) + ": expected an integer array, got dtype " +
                             std::string(py::str(a.dtype())));
    if (a.ndim() != 2 && !(a.ndim() == 1 && std::string(what) == "inputs"))
        throw py::value_error(std::string(what) + ": expected a 2-D array, got " + std::to_string(a.ndim()) + " dimensions");
    const auto c = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(a);
    if (!c) throw py::type_error(std::string(what) + ": cannot be read as int64");
    d0 = a.ndim() == 2 ? static_cast<std::size_t>(c.shape(0)) : 1;
    d1 = static_cast<std::size_t>(c.shape(a.ndim() - 1));
    std::vector<std::int32_t> v(d0 * d1);
    const std::int64_t* p = c.data();
    for (std::size_t k = 0; k < v.size(); ++k) {
        if (p[k] < std::numeric_limits<std::int32_t>::min() || p[k] > std::numeric_limits<std::int32_t>::max())
            throw py::value_error(std::string(what) + "[" + std::to_string(k / d1) + "][" + std::to_string(k % d1) +
                                  "] = " + std::to_string(p[k]) + ": out of the int32 range");
        v[k] = static_cast<std::int32_t>(p[k]);
    }
    return v;
}

// Every conversion of one run, column by column (numpy arrays on return).
struct recorder : acim::core::conversion_sink {
    std::vector<std::uint64_t> vector;
    std::vector<std::uint32_t> output, tile;
    std::vector<std::int32_t> i, j, code;
    std::vector<std::uint8_t> kind, saturated;
    std::vector<std::int64_t> ideal, full_scale;
    std::vector<double> error_lsb;
    void on_conversion(const acim::core::conversion_event& e) override {
        vector.push_back(e.vector);
        output.push_back(e.output);
        tile.push_back(e.tile);
        i.push_back(e.i);
        j.push_back(e.j);
        kind.push_back(static_cast<std::uint8_t>(e.kind));
        ideal.push_back(e.ideal);
        full_scale.push_back(e.full_scale);
        code.push_back(e.code);
        error_lsb.push_back(e.error_lsb);
        saturated.push_back(e.saturated ? 1 : 0);
    }
    template <class T>
    static py::array_t<T> arr(const std::vector<T>& v) {
        py::array_t<T> a(static_cast<py::ssize_t>(v.size()));
        std::copy(v.begin(), v.end(), a.mutable_data());
        return a;
    }
    py::dict to_dict() const {
        py::dict d;
        d["vector"] = arr(vector);
        d["output"] = arr(output);
        d["tile"] = arr(tile);
        d["i"] = arr(i);
        d["j"] = arr(j);
        d["kind"] = arr(kind);
        d["ideal"] = arr(ideal);
        d["full_scale"] = arr(full_scale);
        d["code"] = arr(code);
        d["error_lsb"] = arr(error_lsb);
        d["saturated"] = arr(saturated).attr("astype")("bool");
        return d;
    }
};

py::dict counters_to(const acim::core::engine_counters& c) {
    py::dict d;
    d["conversions"] = c.conversions;
    d["analog"] = c.analog;
    d["digital"] = c.digital;
    d["voted"] = c.voted;
    d["adc_conversions"] = c.adc_conversions;
    d["saturations"] = c.saturations;
    return d;
}

py::dict histogram_to(const acim::core::code_error_histogram& h) {
    using H = acim::core::code_error_histogram;
    py::dict d;
    py::array_t<int> errors(H::bins);
    for (int b = 0; b < H::bins; ++b) errors.mutable_data()[b] = H::error_of(b);
    d["errors"] = errors;  // bin b counts code - ideal_code = errors[b] (the ends are the tails)
    d["weight_cycles"] = h.weight_cycles;
    d["act_cycles"] = h.act_cycles;
    py::array_t<std::uint64_t> counts({static_cast<py::ssize_t>(h.weight_cycles), static_cast<py::ssize_t>(h.act_cycles),
                                       static_cast<py::ssize_t>(H::bins)});
    std::copy(h.counts.begin(), h.counts.end(), counts.mutable_data());
    d["counts"] = counts;
    return d;
}

class engine {
public:
    engine(const py::dict& params, int threads, const std::string& isa)
        : m_e(params_from(params), options(threads, isa)) {}

    void load_weights(const py::array& w, const std::optional<std::vector<std::pair<std::size_t, std::size_t>>>& tiles) {
        std::size_t outputs = 0, rows = 0;
        const std::vector<std::int32_t> codes = codes_from("weights", w, outputs, rows);
        std::vector<acim::core::row_tile> t;
        if (tiles) {
            for (const auto& [b, e] : *tiles) t.push_back(acim::core::row_tile{b, e});
        } else {
            t = acim::core::dense_tiling(rows, m_e.params().row_parallelism);
        }
        m_e.load_weights(codes.data(), outputs, rows, std::move(t));
    }

    py::object run(const py::array& x, std::uint64_t first_vector, const std::optional<py::dict>& key,
                   bool conversions) {
        std::size_t vectors = 0, rows = 0;
        const std::vector<std::int32_t> codes = codes_from("inputs", x, vectors, rows);
        if (rows != m_e.rows())
            throw py::value_error("inputs: " + std::to_string(rows) + " rows per vector, the weights have " +
                                  std::to_string(m_e.rows()));
        const acim::core::stream_key k = key_from(key);
        py::array_t<std::int64_t> out({static_cast<py::ssize_t>(vectors), static_cast<py::ssize_t>(m_e.outputs())});
        std::int64_t* o = out.mutable_data();
        recorder rec;
        {
            py::gil_scoped_release nogil;
            m_e.run(codes.data(), vectors, first_vector, k, o, conversions ? &rec : nullptr);
        }
        if (!conversions) return std::move(out);
        return py::make_tuple(out, rec.to_dict());
    }

    acim::core::mvm_engine& get() { return m_e; }

private:
    static acim::core::engine_options options(int threads, const std::string& isa) {
        acim::core::engine_options o;
        if (threads < 1) throw py::value_error("threads = " + std::to_string(threads) + ": must be at least 1");
        o.threads = threads;
        if (isa == "automatic") o.isa = acim::core::kernel_isa::automatic;
        else if (isa == "portable") o.isa = acim::core::kernel_isa::portable;
        else if (isa == "avx512") o.isa = acim::core::kernel_isa::avx512;
        else throw py::value_error("isa = '" + isa + "': must be automatic, portable or avx512");
        return o;
    }
    acim::core::mvm_engine m_e;
};

py::list plan_kinds(const acim::core::cycle_plan& plan) {
    py::list rows;
    for (int i = 0; i < plan.weight_cycles(); ++i) {
        py::list r;
        for (int j = 0; j < plan.act_cycles(); ++j) r.append(acim::core::to_string(plan.kind(i, j)));
        rows.append(r);
    }
    return rows;
}

}  // namespace

PYBIND11_MODULE(_acim, m) {
    m.doc() = "acim-tlm core: one ACiM layer as the bit-true MVM engine computes it (docs/python.md)";
    m.def("default_params", [] { return params_to(cim_params{}); },
          "The default cim_params as a dict (every field the engine takes).");
    m.def("check_params", [](const py::dict& d) { return params_to(params_from(d)); }, py::arg("params"),
          "Validates a cim_params dict and returns it completed with the defaults.");
    m.def("cpu_has_avx512_kernel", &acim::core::cpu_has_avx512_kernel);
    py::list kinds;
    for (auto k : {acim::core::cycle_kind::analog, acim::core::cycle_kind::voted, acim::core::cycle_kind::digital,
                   acim::core::cycle_kind::full_bp})
        kinds.append(acim::core::to_string(k));
    m.attr("CYCLE_KINDS") = py::tuple(kinds);  // the codes of conversions["kind"]

    py::class_<engine>(m, "MvmEngine", "acim::core::mvm_engine: one layer, weights loaded once, many runs")
        .def(py::init<const py::dict&, int, const std::string&>(), py::arg("params") = py::dict(),
             py::arg("threads") = 1, py::arg("isa") = "automatic")
        .def("load_weights", &engine::load_weights, py::arg("weights"), py::arg("tiles") = py::none(),
             "weights: integer array [outputs, rows]; tiles: [(begin, end), ...] row tiles, default dense "
             "ones of row_parallelism rows")
        .def("run", &engine::run, py::arg("inputs"), py::arg("first_vector") = 0, py::arg("key") = py::none(),
             py::arg("conversions") = false,
             "inputs: integer array [vectors, rows] (or one vector). Returns the int64 numerators [vectors, "
             "outputs]; with conversions=True a tuple (numerators, dict of per-conversion arrays).")
        .def_property_readonly("denominator", [](engine& e) { return e.get().denominator(); })
        .def_property_readonly("params", [](engine& e) { return params_to(e.get().params()); })
        .def_property_readonly("outputs", [](engine& e) { return e.get().outputs(); })
        .def_property_readonly("rows", [](engine& e) { return e.get().rows(); })
        .def_property_readonly("tiles", [](engine& e) {
            std::vector<std::pair<std::size_t, std::size_t>> t;
            for (const auto& r : e.get().tiles()) t.emplace_back(r.begin, r.end);
            return t;
        })
        .def_property_readonly("cycle_kinds", [](engine& e) { return plan_kinds(e.get().plan()); },
                               "The P x Q cycle grid: analog, voted, digital or full_bp per (i, j)")
        .def_property_readonly("uses_avx512", [](engine& e) { return e.get().uses_avx512(); })
        .def_property_readonly("counters", [](engine& e) { return counters_to(e.get().counters()); })
        .def_property_readonly("code_errors", [](engine& e) { return histogram_to(e.get().code_errors()); })
        .def("reset_counters", [](engine& e) { e.get().reset_counters(); });
}
