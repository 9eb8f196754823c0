# Rewrites libotc.a as one relocatable object whose hidden symbols are made
# local, so the static library exports only the public otc_* API (the same
# as libotc.so) and none of libotc's internal names (roster_add, wire_decode,
# ...) can collide with an application's. Run after each build of otc_static.
# Inputs: ARCHIVE, WORK_DIR, AR, LINKER, OBJCOPY.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
execute_process(COMMAND ${AR} x ${ARCHIVE} WORKING_DIRECTORY ${WORK_DIR} RESULT_VARIABLE failed)
file(GLOB objects ${WORK_DIR}/*.o)
if(failed OR NOT objects)
  message(FATAL_ERROR "cannot unpack ${ARCHIVE}")
endif()
execute_process(COMMAND ${LINKER} -r -o ${WORK_DIR}/otc.lo ${objects} RESULT_VARIABLE failed)
if(failed)
  message(FATAL_ERROR "ld -r failed")
endif()
execute_process(COMMAND ${OBJCOPY} --localize-hidden ${WORK_DIR}/otc.lo RESULT_VARIABLE failed)
if(failed)
  message(FATAL_ERROR "objcopy --localize-hidden failed")
endif()
file(REMOVE ${ARCHIVE})
execute_process(COMMAND ${AR} rcs ${ARCHIVE} ${WORK_DIR}/otc.lo RESULT_VARIABLE failed)
if(failed)
  message(FATAL_ERROR "cannot write ${ARCHIVE}")
endif()
