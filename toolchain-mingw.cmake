# Cross-compiling wctr for 64-bit Windows with mingw-w64 on Linux.
# The posix thread model makes pthreads come from libwinpthread; libgcc and libwinpthread are linked
# statically (see WCTR_STATIC_RUNTIME in the root CMakeLists.txt) so the .exe files need no mingw DLLs.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(WCTR_MINGW_TRIPLE x86_64-w64-mingw32)

set(CMAKE_C_COMPILER ${WCTR_MINGW_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${WCTR_MINGW_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${WCTR_MINGW_TRIPLE}-windres)
set(CMAKE_AR ${WCTR_MINGW_TRIPLE}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${WCTR_MINGW_TRIPLE}-ranlib CACHE FILEPATH "")

# Third-party libraries built for mingw by scripts/bootstrap live here (an ignored folder).
get_filename_component(WCTR_SOURCE_ROOT "${CMAKE_CURRENT_LIST_DIR}" ABSOLUTE)
set(WCTR_MINGW_DEPS "${WCTR_SOURCE_ROOT}/.deps/mingw")
set(CMAKE_FIND_ROOT_PATH /usr/${WCTR_MINGW_TRIPLE} "${WCTR_MINGW_DEPS}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Tests run under Wine, in the project's own prefix and environment.
set(CMAKE_CROSSCOMPILING_EMULATOR "${WCTR_SOURCE_ROOT}/scripts/wine")
