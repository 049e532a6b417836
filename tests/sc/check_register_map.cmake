# Fails when the committed docs/register_map.md differs from what regmap_gen prints from the
# register table, so that the register map documentation can never go stale.
# Arguments: -DGEN=<regmap_gen> -DDOC=<docs/register_map.md> -DOUT=<scratch file>
execute_process(COMMAND ${GEN} ${OUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "regmap_gen failed (${rc})")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${DOC} ${OUT} RESULT_VARIABLE differs)
if(NOT differs EQUAL 0)
  message(FATAL_ERROR "${DOC} is stale: it differs from the register table's output ${OUT}. "
                      "Regenerate it with `cmake --build <build dir> --target register_map_doc`.")
endif()
