# CTest script (cmake -P): install the SDK into WORK_DIR/install, then build
# and run C programs against that installed tree only.
#   1. find_package(otc): consumer/ linked to otc::otc and otc::otc_static
#   2. pkg-config: the compiler driven by `pkg-config --cflags --libs otc`
# Also checks that no installed ELF file carries an absolute RUNPATH.

set(prefix ${WORK_DIR}/install)
set(libdir ${prefix}/${INSTALL_LIBDIR})
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGV}\n${out}\n${err}")
  endif()
  string(STRIP "${out}" out)
  set(run_output "${out}" PARENT_SCOPE)
endfunction()

function(expect_version program)
  run(${CMAKE_COMMAND} -E env --unset=LD_LIBRARY_PATH ${ARGN} ${program})
  if(NOT run_output STREQUAL EXPECTED_VERSION)
    message(FATAL_ERROR "${program} printed '${run_output}', expected '${EXPECTED_VERSION}'")
  endif()
  message(STATUS "${program}: ${run_output}")
endfunction()

run(${CMAKE_COMMAND} --install ${OTC_BUILD_DIR} --prefix ${prefix})

# No absolute paths in RUNPATH/RPATH of what we ship.
file(GLOB_RECURSE elf_files ${libdir}/libotc.so* ${prefix}/${INSTALL_BINDIR}/*)
foreach(file IN LISTS elf_files)
  if(IS_SYMLINK ${file})
    continue()
  endif()
  run(readelf -d ${file})
  string(REGEX MATCHALL "\\((RUNPATH|RPATH)\\)[^\n]*" paths "${run_output}")
  foreach(entry IN LISTS paths)
    if(entry MATCHES "[[:]/")
      message(FATAL_ERROR "${file} has an absolute run path: ${entry}")
    endif()
  endforeach()
endforeach()
expect_version(${prefix}/${INSTALL_BINDIR}/otc-version)

# 1. find_package(otc)
set(build ${WORK_DIR}/find-package)
run(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${build}
  -DCMAKE_C_COMPILER=${C_COMPILER} -DCMAKE_PREFIX_PATH=${prefix})
run(${CMAKE_COMMAND} --build ${build})
expect_version(${build}/consumer_shared)
expect_version(${build}/consumer_static)

# 2. pkg-config --cflags --libs otc
run(${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${libdir}/pkgconfig pkg-config --cflags --libs otc)
separate_arguments(pc_flags UNIX_COMMAND "${run_output}")
run(${C_COMPILER} ${CONSUMER_SOURCE_DIR}/main.c ${pc_flags} -o ${WORK_DIR}/consumer_pkgconfig)
expect_version(${WORK_DIR}/consumer_pkgconfig LD_LIBRARY_PATH=${libdir})
