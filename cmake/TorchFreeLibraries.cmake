# The libraries that do not see torch, included by CMakeLists.txt before LibTorch is looked for
# (SOFTVIT_PARSERS_ONLY builds them alone).
find_package(yaml-cpp REQUIRED)
find_package(spdlog REQUIRED)
find_package(ZLIB REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBZIP REQUIRED IMPORTED_TARGET libzip)
pkg_check_modules(LIBARCHIVE REQUIRED IMPORTED_TARGET libarchive)  # WebDataset shards (.tar, .tar.gz)

set(SOFTVIT_WARNINGS -Wall -Wextra -Wpedantic -Wno-unused-parameter)

# --- logging: spdlog/fmt behind a plain interface; must never see torch's headers (fmt clash).
add_library(softvit_log STATIC src/log/log.cpp)
target_include_directories(softvit_log PUBLIC src)
target_link_libraries(softvit_log PRIVATE spdlog::spdlog)
target_compile_options(softvit_log PRIVATE ${SOFTVIT_WARNINGS})

# --- core: config schema and loading, errors, strings. No torch.
add_library(softvit_core STATIC
  src/core/atomic_file.cpp
  src/core/config.cpp
  src/core/config_schema.cpp
  src/core/options.cpp
  src/core/strings.cpp)
target_include_directories(softvit_core PUBLIC src)
target_link_libraries(softvit_core PUBLIC yaml-cpp softvit_log)
target_compile_options(softvit_core PRIVATE ${SOFTVIT_WARNINGS})

# --- parsers of files users get from others (weights, datasets): byte-level parsing only, no torch,
# so that tests/fuzz can fuzz them under sanitizers. softvit_lib links them and builds tensors.
set(SOFTVIT_PARSER_SOURCES
  ${CMAKE_SOURCE_DIR}/src/data/idx.cpp
  ${CMAKE_SOURCE_DIR}/src/data/jpeg_header.cpp
  ${CMAKE_SOURCE_DIR}/src/data/sources/csv_parse.cpp
  ${CMAKE_SOURCE_DIR}/src/data/sources/npy.cpp
  ${CMAKE_SOURCE_DIR}/src/data/sources/zip_members.cpp
  ${CMAKE_SOURCE_DIR}/src/data/webdataset/shard_reader.cpp
  ${CMAKE_SOURCE_DIR}/src/data/webdataset/tar_reader.cpp
  ${CMAKE_SOURCE_DIR}/src/models/safetensors_header.cpp)
add_library(softvit_parsers STATIC ${SOFTVIT_PARSER_SOURCES})
target_include_directories(softvit_parsers PUBLIC src)
target_link_libraries(softvit_parsers PUBLIC softvit_core PRIVATE ZLIB::ZLIB nlohmann_json::nlohmann_json PkgConfig::LIBZIP
                                                                 PkgConfig::LIBARCHIVE)
target_compile_options(softvit_parsers PRIVATE ${SOFTVIT_WARNINGS})
