# LibTorch's CPU libraries taken straight from a torch wheel (or a libtorch folder), for machines
# without a CUDA toolkit.
#
# Why: the torch wheel on PyPI is a CUDA build, and its Caffe2Config.cmake stops configure when it
# cannot find the toolkit. The CPU libraries need none of the toolkit to build against: libtorch_cpu
# only loads libcudart and libcupti at run time, which the small nvidia-cuda-runtime and
# nvidia-cuda-cupti wheels provide (scripts/setup.sh installs them, not the GBs of cuDNN, cuBLAS, ...).
#
# Defines what the rest of the build uses from find_package(Torch): the imported target `torch`
# (libtorch_cpu and libc10), TORCH_INCLUDE_DIRS, TORCH_LIBRARIES and TORCH_INSTALL_PREFIX.
find_path(SOFTVIT_TORCH_CMAKE_DIR TorchConfig.cmake PATH_SUFFIXES Torch share/cmake/Torch
          DOC "folder holding the TorchConfig.cmake of the LibTorch to build against")
if(NOT SOFTVIT_TORCH_CMAKE_DIR)
  message(FATAL_ERROR "LibTorch not found: configure with -DCMAKE_PREFIX_PATH=<torch's cmake prefix> "
                      "(bash scripts/setup.sh installs torch and prints it)")
endif()
get_filename_component(TORCH_INSTALL_PREFIX "${SOFTVIT_TORCH_CMAKE_DIR}/../../.." ABSOLUTE)
set(TORCH_INCLUDE_DIRS ${TORCH_INSTALL_PREFIX}/include ${TORCH_INSTALL_PREFIX}/include/torch/csrc/api/include)
find_library(SOFTVIT_TORCH_CPU_LIBRARY torch_cpu PATHS ${TORCH_INSTALL_PREFIX}/lib NO_DEFAULT_PATH REQUIRED)
find_library(SOFTVIT_C10_LIBRARY c10 PATHS ${TORCH_INSTALL_PREFIX}/lib NO_DEFAULT_PATH REQUIRED)

add_library(torch SHARED IMPORTED)
set_target_properties(torch PROPERTIES
  IMPORTED_LOCATION "${SOFTVIT_TORCH_CPU_LIBRARY}"
  IMPORTED_SONAME "libtorch_cpu.so"
  INTERFACE_INCLUDE_DIRECTORIES "${TORCH_INCLUDE_DIRS}"
  # The definitions torch_cpu's own CMake target declares (Caffe2Targets.cmake): c10d with Gloo;
  # SOFTVIT_TORCH_CPU_ONLY keeps out our code that needs libc10_cuda or the toolkit's headers.
  INTERFACE_COMPILE_DEFINITIONS "USE_DISTRIBUTED;USE_C10D_GLOO;USE_RPC;USE_TENSORPIPE;SOFTVIT_TORCH_CPU_ONLY"
  INTERFACE_LINK_LIBRARIES "${SOFTVIT_C10_LIBRARY}")
set(TORCH_LIBRARIES torch)

# The linker must see the libraries libtorch_cpu loads (libcudart, libcupti, libgomp): they sit
# where the wheel's RPATH points (site-packages/nvidia/*/lib, torch/lib).
file(GLOB _torch_dependency_dirs LIST_DIRECTORIES true "${TORCH_INSTALL_PREFIX}/../nvidia/*/lib")
foreach(_dir IN LISTS _torch_dependency_dirs ITEMS "${TORCH_INSTALL_PREFIX}/lib")
  target_link_options(torch INTERFACE "LINKER:-rpath-link,${_dir}")
endforeach()
message(STATUS "softvit: LibTorch CPU libraries from ${TORCH_INSTALL_PREFIX} (no CUDA toolkit)")
