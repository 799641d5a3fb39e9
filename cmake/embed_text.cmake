# Turns a text file into a C source defining one NUL-terminated char array,
# so that the binary carries the file (sluice demo's queries) and does not
# look for it relative to the working directory. Run as
#   cmake -DIN=file -DOUT=file.c -DSYMBOL=name -P embed_text.cmake
# Bytes are written as hex: nothing in the text needs escaping.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR size "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
get_filename_component(name "${IN}" NAME)
file(WRITE "${OUT}.tmp"
  "/* Generated from ${name} by cmake/embed_text.cmake: do not edit. */\n"
  "#include <stddef.h>\n"
  "const char ${SYMBOL}[] = {\n  ${bytes}0x00};\n"
  "const size_t ${SYMBOL}_len = ${size};\n")
# rewritten only when it changed: no rebuild of what depends on it otherwise
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUT}.tmp" "${OUT}")
file(REMOVE "${OUT}.tmp")
