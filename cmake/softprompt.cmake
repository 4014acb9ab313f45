# Shared helpers: every softprompt target gets the same flags so that one precompiled LibTorch header
# (built once, in softprompt_pch) can be reused by all of them.

set(SOFTPROMPT_ROOT ${CMAKE_SOURCE_DIR})

add_library(softprompt_pch OBJECT ${CMAKE_SOURCE_DIR}/cmake/pch.cpp)
target_link_libraries(softprompt_pch PUBLIC ${TORCH_LIBRARIES})
target_include_directories(softprompt_pch PUBLIC ${CMAKE_SOURCE_DIR})
if(SOFTPROMPT_WITH_PCH)
  target_precompile_headers(softprompt_pch PUBLIC <torch/torch.h> <string> <vector> <memory>)
endif()

function(softprompt_flags target)
  target_include_directories(${target} PUBLIC ${SOFTPROMPT_ROOT})
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  if(SOFTPROMPT_WITH_PCH)
    target_precompile_headers(${target} REUSE_FROM softprompt_pch)
  endif()
endfunction()

# softprompt_library(NAME DIR [DEPS ...]): a static library of every .cpp directly in DIR
# (and DIR/*/ when RECURSE is given). New files are picked up at the next build.
function(softprompt_library name dir)
  cmake_parse_arguments(A "RECURSE" "" "DEPS" ${ARGN})
  if(A_RECURSE)
    file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${dir}/*.cpp)
  else()
    file(GLOB srcs CONFIGURE_DEPENDS ${dir}/*.cpp)
  endif()
  if(NOT srcs)
    set(srcs ${SOFTPROMPT_ROOT}/cmake/empty.cpp)
  endif()
  add_library(${name} STATIC ${srcs})
  target_link_libraries(${name} PUBLIC ${TORCH_LIBRARIES} ${A_DEPS})
  softprompt_flags(${name})
endfunction()

# softprompt_executable(NAME SOURCES... DEPS ...)
function(softprompt_executable name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  # The shared precompiled header is built -fPIC (an object library); CMake would compile executables with
  # -fPIE, which makes GCC ignore the header. -fPIC objects link into Debian's default PIE executables as well.
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE OFF)
  target_compile_options(${name} PRIVATE -fPIC)
  target_link_libraries(${name} PRIVATE ${A_DEPS} ${TORCH_LIBRARIES} ${CMAKE_DL_LIBS})
  softprompt_flags(${name})
endfunction()
