# cJSON, libyaml, cmocka, http-parser and zlib: natively from Debian's -dev packages, for mingw from the prefix that
# scripts/bootstrap builds from Debian's source packages (CMAKE_FIND_ROOT_PATH in toolchain-mingw.cmake).
# Each becomes an imported target: wctr::cjson, wctr::yaml, wctr::cmocka, wctr::http_parser, wctr::zlib.

function(wctr_import_library target header library)
  find_path(${target}_INCLUDE ${header} REQUIRED)
  find_library(${target}_LIBRARY NAMES ${library} REQUIRED)
  add_library(wctr::${target} UNKNOWN IMPORTED GLOBAL)
  set_target_properties(wctr::${target} PROPERTIES
    IMPORTED_LOCATION "${${target}_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${${target}_INCLUDE}")
endfunction()

wctr_import_library(cjson cjson/cJSON.h cjson)
wctr_import_library(yaml yaml.h yaml)
wctr_import_library(http_parser http_parser.h http_parser)
# zlib: the system's natively (zlib1g-dev), for mingw the static libz.a scripts/bootstrap builds from Debian's
# source package (the layer import inflates gzip layers: images/tar.c).
wctr_import_library(zlib zlib.h z)
if(WIN32)
  # Static builds for mingw: libyaml's header must be told not to expect a DLL.
  set_property(TARGET wctr::yaml PROPERTY INTERFACE_COMPILE_DEFINITIONS YAML_DECLARE_STATIC)
  wctr_import_library(cmocka cmocka.h cmocka-static)
else()
  wctr_import_library(cmocka cmocka.h cmocka)
endif()
