# Builds a libFuzzer target (clang, +ASan+UBSan) and runs it for a bounded
# time over a copy of its seed corpus. Invoked by ctest (fuzz_wire, fuzz_core).
# Inputs: CLANG, SOURCE_DIR (native/), WORK_DIR, SECONDS, FUZZ_TARGET (fuzz_wire or
# fuzz_core). Both build the transport-free sources (no loop, no socket).
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR}/corpus)
if(FUZZ_TARGET STREQUAL "fuzz_core")
  file(GLOB seeds ${SOURCE_DIR}/fuzz/corpus-core/*)
  set(sources json.c wire.c alloc.c roster.c connection.c log.c status.c settings.c
      messages.c callbacks.c life.c commands.c)
  set(extra ${SOURCE_DIR}/tests/fake_transport.c -I${SOURCE_DIR}/tests)
else()
  file(GLOB seeds ${SOURCE_DIR}/fuzz/corpus/*)
  set(sources json.c wire.c alloc.c roster.c connection.c log.c)
  set(extra "")
endif()
file(COPY ${seeds} DESTINATION ${WORK_DIR}/corpus)
list(TRANSFORM sources PREPEND ${SOURCE_DIR}/src/)
execute_process(
  COMMAND ${CLANG} -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
          -DOTC_VERSION_STRING="fuzz"
          -I${SOURCE_DIR}/include -I${SOURCE_DIR}/src
          ${SOURCE_DIR}/fuzz/${FUZZ_TARGET}.c ${sources} ${extra} -lpthread
          -o ${WORK_DIR}/${FUZZ_TARGET}
  RESULT_VARIABLE built)
if(NOT built EQUAL 0)
  message(FATAL_ERROR "${FUZZ_TARGET} did not build")
endif()
execute_process(
  COMMAND ${WORK_DIR}/${FUZZ_TARGET} -max_total_time=${SECONDS} -max_len=4096 -timeout=10
          -rss_limit_mb=1024 ${WORK_DIR}/corpus
  WORKING_DIRECTORY ${WORK_DIR}
  RESULT_VARIABLE fuzzed)
if(NOT fuzzed EQUAL 0)
  message(FATAL_ERROR "${FUZZ_TARGET} found a failure (crash-* in ${WORK_DIR})")
endif()
