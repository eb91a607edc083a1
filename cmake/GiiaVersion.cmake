# Version facts for `giia version`: the project version, the git commit and the
# build type. The header is rewritten at every build (only when its content
# changes), so the commit is never stale.
if(NOT CMAKE_BUILD_TYPE)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()
set(GIIA_VERSION_HEADER ${PROJECT_BINARY_DIR}/generated/giia_version.hpp)
add_custom_target(giia_version_header
  COMMAND ${CMAKE_COMMAND} -DSRC=${PROJECT_SOURCE_DIR} -DOUT=${GIIA_VERSION_HEADER}
          -DVERSION=${PROJECT_VERSION} -DBUILD_TYPE=${CMAKE_BUILD_TYPE}
          "-DSANITIZE=${GIIA_SANITIZE}" -P ${PROJECT_SOURCE_DIR}/cmake/write_version.cmake
  BYPRODUCTS ${GIIA_VERSION_HEADER}
  COMMENT "Checking the git commit for giia version"
  VERBATIM)
