# CMake generated Testfile for 
# Source directory: /work/main/tests
# Build directory: /work/main/build/tests
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
add_test(conformance_ratchet "bash" "/work/main/tests/conformance/ratchet.sh" "/work/main/build/sluice")
set_tests_properties(conformance_ratchet PROPERTIES  LABELS "conformance" TIMEOUT "1200" WORKING_DIRECTORY "/work/main" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;22;add_test;/work/main/tests/CMakeLists.txt;0;")
