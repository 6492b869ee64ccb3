# DICOM (src/data/dicom): files are read through GDCM (Debian's libgdcm-dev: JPEG baseline, extended
# and lossless, JPEG-LS through CharLS, JPEG 2000 through OpenJPEG, RLE). SOFTVIT_DICOM: AUTO uses
# GDCM where it is found (not on the GPU machine), ON requires it, OFF leaves it out. Without it,
# reading a .dcm file is an error that says softvit was built without DICOM support.
# softvit_dicom is the reader alone (no torch, no OpenCV); only dicom_reader_gdcm.cpp sees GDCM.
set(SOFTVIT_DICOM "AUTO" CACHE STRING "DICOM support through GDCM: AUTO (where found) | ON | OFF")
set_property(CACHE SOFTVIT_DICOM PROPERTY STRINGS AUTO ON OFF)
string(TOUPPER "${SOFTVIT_DICOM}" _dicom_mode)
set(SOFTVIT_HAVE_DICOM OFF)
if(_dicom_mode STREQUAL "ON" OR _dicom_mode STREQUAL "AUTO")
  find_package(GDCM CONFIG QUIET)
  if(GDCM_FOUND)
    set(SOFTVIT_HAVE_DICOM ON)
  elseif(_dicom_mode STREQUAL "ON")
    message(FATAL_ERROR "SOFTVIT_DICOM=ON but GDCM was not found: apt-get install libgdcm-dev, or set GDCM_DIR")
  endif()
elseif(NOT _dicom_mode STREQUAL "OFF")
  message(FATAL_ERROR "SOFTVIT_DICOM is '${SOFTVIT_DICOM}': expected AUTO, ON or OFF")
endif()
if(SOFTVIT_HAVE_DICOM)
  message(STATUS "softvit: DICOM support ON (SOFTVIT_DICOM=${SOFTVIT_DICOM}; GDCM ${GDCM_VERSION})")
else()
  message(STATUS "softvit: DICOM support OFF (SOFTVIT_DICOM=${SOFTVIT_DICOM}): a .dcm file is an error saying so")
endif()

set(_dicom_dir ${CMAKE_SOURCE_DIR}/src/data/dicom)
# Kept out of softvit_lib's glob: they make up softvit_dicom.
set(SOFTVIT_DICOM_READER_SOURCES ${_dicom_dir}/dicom_syntax.cpp ${_dicom_dir}/dicom_reader_gdcm.cpp
                                 ${_dicom_dir}/dicom_reader_none.cpp)
if(SOFTVIT_HAVE_DICOM)
  add_library(softvit_dicom STATIC ${_dicom_dir}/dicom_syntax.cpp ${_dicom_dir}/dicom_reader_gdcm.cpp)
  target_include_directories(softvit_dicom SYSTEM PRIVATE ${GDCM_INCLUDE_DIRS})  # their warnings are not ours
  target_link_libraries(softvit_dicom PRIVATE gdcmMSFF)
else()
  add_library(softvit_dicom STATIC ${_dicom_dir}/dicom_syntax.cpp ${_dicom_dir}/dicom_reader_none.cpp)
endif()
target_include_directories(softvit_dicom PUBLIC src)
target_link_libraries(softvit_dicom PUBLIC softvit_core)
target_compile_options(softvit_dicom PRIVATE ${SOFTVIT_WARNINGS})
