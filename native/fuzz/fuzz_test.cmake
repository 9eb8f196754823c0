# Builds fuzz_wire with clang's libFuzzer (+ASan+UBSan) and runs it for a
# bounded time over a copy of the seed corpus. Invoked by ctest (fuzz_wire).
# Inputs: CLANG, SOURCE_DIR (native/), WORK_DIR, SECONDS, LWS_CFLAGS, LWS_LIBS.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR}/corpus)
file(GLOB seeds ${SOURCE_DIR}/fuzz/corpus/*)
file(COPY ${seeds} DESTINATION ${WORK_DIR}/corpus)
separate_arguments(lws_cflags UNIX_COMMAND "${LWS_CFLAGS}")
separate_arguments(lws_libs UNIX_COMMAND "${LWS_LIBS}")
set(sources json.c wire.c alloc.c roster.c connection.c log.c)
list(TRANSFORM sources PREPEND ${SOURCE_DIR}/src/)
execute_process(
  COMMAND ${CLANG} -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
          -I${SOURCE_DIR}/include -I${SOURCE_DIR}/src ${lws_cflags}
          ${SOURCE_DIR}/fuzz/fuzz_wire.c ${sources} ${lws_libs} -lpthread
          -o ${WORK_DIR}/fuzz_wire
  RESULT_VARIABLE built)
if(NOT built EQUAL 0)
  message(FATAL_ERROR "fuzz_wire did not build")
endif()
execute_process(
  COMMAND ${WORK_DIR}/fuzz_wire -max_total_time=${SECONDS} -max_len=4096 -timeout=10
          -rss_limit_mb=1024 ${WORK_DIR}/corpus
  WORKING_DIRECTORY ${WORK_DIR}
  RESULT_VARIABLE fuzzed)
if(NOT fuzzed EQUAL 0)
  message(FATAL_ERROR "fuzz_wire found a failure (crash-* in ${WORK_DIR})")
endif()
