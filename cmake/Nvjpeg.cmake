# JPEG decoding on the GPU (src/data/gpu_decode) through nvJPEG: the CUDA toolkit's nvjpeg.h and
# libnvjpeg (the GPU machine's toolkit has them), or the nvidia-nvjpeg wheel beside torch (the
# development machines' toolkit lacks them; scripts/setup.sh installs the wheel into the venv so that
# CI compiles this code too). SOFTVIT_NVJPEG: AUTO uses it where found on a CUDA build, ON requires
# it, OFF leaves it out. Without it, data.decode gpu and `softvit check decode` say so.
# Needs _site_packages (the folder that holds torch) from the caller.
set(SOFTVIT_NVJPEG "AUTO" CACHE STRING "JPEG decoding on the GPU through nvJPEG: AUTO (where found) | ON | OFF")
set_property(CACHE SOFTVIT_NVJPEG PROPERTY STRINGS AUTO ON OFF)
string(TOUPPER "${SOFTVIT_NVJPEG}" _nvjpeg_mode)
set(SOFTVIT_HAVE_NVJPEG OFF)
if(NOT _nvjpeg_mode MATCHES "^(AUTO|ON|OFF)$")
  message(FATAL_ERROR "SOFTVIT_NVJPEG is '${SOFTVIT_NVJPEG}': expected AUTO, ON or OFF")
endif()
if(SOFTVIT_TORCH_CUDA AND NOT _nvjpeg_mode STREQUAL "OFF")
  find_path(SOFTVIT_NVJPEG_INCLUDE_DIR nvjpeg.h NO_DEFAULT_PATH
            PATHS ${CUDAToolkit_INCLUDE_DIRS} /usr/local/cuda/include ${_site_packages}/nvidia/cu13/include
            DOC "folder of nvjpeg.h")
  find_library(SOFTVIT_NVJPEG_LIBRARY NAMES nvjpeg libnvjpeg.so.13 NO_DEFAULT_PATH
               PATHS ${CUDAToolkit_LIBRARY_DIR} /usr/local/cuda/lib64 ${_site_packages}/nvidia/cu13/lib
               DOC "libnvjpeg")
  if(SOFTVIT_NVJPEG_INCLUDE_DIR AND SOFTVIT_NVJPEG_LIBRARY)
    set(SOFTVIT_HAVE_NVJPEG ON)
  endif()
endif()
if(_nvjpeg_mode STREQUAL "ON" AND NOT SOFTVIT_HAVE_NVJPEG)
  message(FATAL_ERROR "SOFTVIT_NVJPEG=ON but nvJPEG was not found on this CUDA build "
                      "(pip install nvidia-nvjpeg beside torch, or a CUDA toolkit with nvjpeg.h)")
endif()
message(STATUS "softvit: nvJPEG ${SOFTVIT_HAVE_NVJPEG} (${SOFTVIT_NVJPEG_LIBRARY})")

set(_gpu_decode_dir ${CMAKE_SOURCE_DIR}/src/data/gpu_decode)
# Kept out of softvit_lib's glob: one of them is built, into softvit_lib.
set(SOFTVIT_NVJPEG_SOURCES ${_gpu_decode_dir}/nvjpeg_decoder.cpp ${_gpu_decode_dir}/nvjpeg_decoder_none.cpp)
if(SOFTVIT_HAVE_NVJPEG)
  set(SOFTVIT_NVJPEG_BUILD_SOURCES ${_gpu_decode_dir}/nvjpeg_decoder.cpp)
else()
  set(SOFTVIT_NVJPEG_BUILD_SOURCES ${_gpu_decode_dir}/nvjpeg_decoder_none.cpp)
endif()
