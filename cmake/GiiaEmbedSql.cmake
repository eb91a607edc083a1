# giia_embed_sql(OUT <generated.cpp> FILES <sql files...>)
# Turns the migration files into a C++ table compiled into the binary, so a
# container needs nothing but `giia`. The sha256 of each file is computed here,
# at build time, and recorded with every applied migration.
function(giia_embed_sql)
  cmake_parse_arguments(ARG "" "OUT" "FILES" ${ARGN})
  add_custom_command(
    OUTPUT ${ARG_OUT}
    COMMAND ${CMAKE_COMMAND} -DOUT=${ARG_OUT} -DROOT=${PROJECT_SOURCE_DIR}/sql
            "-DFILES=${ARG_FILES}" -P ${PROJECT_SOURCE_DIR}/cmake/embed_sql.cmake
    DEPENDS ${ARG_FILES} ${PROJECT_SOURCE_DIR}/cmake/embed_sql.cmake
    COMMENT "Embedding SQL migrations"
    VERBATIM)
endfunction()
