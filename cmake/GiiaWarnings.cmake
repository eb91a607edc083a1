# Warnings and sanitizers as one INTERFACE target that every giia target links.
add_library(giia_warnings INTERFACE)
target_compile_options(giia_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wimplicit-fallthrough
  # Designated initializers leave the other members at their defaults on purpose.
  -Wno-missing-field-initializers)
if(GIIA_WARNINGS_AS_ERRORS)
  target_compile_options(giia_warnings INTERFACE -Werror)
endif()
if(GIIA_SANITIZE)
  target_compile_options(giia_warnings INTERFACE
    -fsanitize=${GIIA_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(giia_warnings INTERFACE -fsanitize=${GIIA_SANITIZE})
endif()
