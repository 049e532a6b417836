# cmake -DOUT=file.cpp -DFILES="a.json|b.json" -P embed_presets.cmake
# Writes a C++ source defining acim_preset_files[] = {{file name, text}, ...} and
# acim_preset_file_count with the text of every preset file (testbench/presets.cpp parses them).
string(REPLACE "|" ";" FILES "${FILES}")
set(body "")
set(n 0)
foreach(f ${FILES})
  file(READ "${f}" text)
  get_filename_component(base "${f}" NAME)
  string(APPEND body "    {\"${base}\", R\"acim_preset_json(${text})acim_preset_json\"},\n")
  math(EXPR n "${n} + 1")
endforeach()
file(WRITE "${OUT}.tmp" "// Generated from presets/*.json by cmake/embed_presets.cmake. Do not edit.\n#include <cstddef>\nstruct acim_preset_file { const char* name; const char* text; };\nextern const acim_preset_file acim_preset_files[];\nextern const std::size_t acim_preset_file_count;\nconst acim_preset_file acim_preset_files[] = {\n${body}};\nconst std::size_t acim_preset_file_count = ${n};\n")
file(RENAME "${OUT}.tmp" "${OUT}")
