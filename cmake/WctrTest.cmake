# Test helpers shared by every tests/<module>/CMakeLists.txt.
#
# wctr_add_test(NAME n SOURCES f.c... [LIBS l...] [LABELS l...])
#   One cmocka executable, one CTest test. Under the mingw preset CTest runs it through the emulator
#   (scripts/wine). A test that needs Windows enforcement Wine lacks calls wctr_test_require_windows()
#   (tests/testutil.h), which prints the reason and exits 77; CTest reports that as skipped, never as
#   passed.
function(wctr_add_test)
  cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} wctr_testutil wctr::cmocka)
  add_test(NAME ${T_NAME} COMMAND ${T_NAME})
  set_tests_properties(${T_NAME} PROPERTIES SKIP_RETURN_CODE 77 LABELS "${T_LABELS}")
endfunction()

# wctr_add_fuzzer(NAME n SOURCES f.c... LIBS l... CORPUS dir [RUNS n])
#   A libFuzzer harness (clang, native preset). It is also a CTest test that replays the seed corpus and
#   then fuzzes for RUNS inputs (default 100000); new inputs go to the build tree, never to the corpus.
#   Inputs may grow to 1 MiB (libFuzzer's default is 4 KiB, which hides size-driven defects: long labels,
#   many mounts, deep documents); a harness never caps the size itself.
function(wctr_add_fuzzer)
  cmake_parse_arguments(F "" "NAME;CORPUS;RUNS" "SOURCES;LIBS" ${ARGN})
  if(NOT WCTR_FUZZ OR NOT CMAKE_C_COMPILER_ID MATCHES "Clang" OR WIN32)
    return()
  endif()
  if(NOT F_RUNS)
    set(F_RUNS 100000)
  endif()
  add_executable(${F_NAME} ${F_SOURCES})
  target_compile_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
  target_link_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(${F_NAME} PRIVATE ${F_LIBS})
  set(work "${CMAKE_CURRENT_BINARY_DIR}/${F_NAME}-new-inputs")
  file(MAKE_DIRECTORY "${work}")
  add_test(NAME ${F_NAME} COMMAND ${F_NAME} -runs=${F_RUNS} -max_total_time=60 -max_len=1048576
           -print_final_stats=1
           "${work}" "${F_CORPUS}")
  set_tests_properties(${F_NAME} PROPERTIES LABELS fuzz)
endfunction()
