# OpenCV from Debian's per-module packages (libopencv-{core,imgproc,imgcodecs}-dev), which ship no
# OpenCVConfig.cmake: find the headers and the three libraries directly. Defines softprompt_opencv.
if(NOT TARGET softprompt_opencv)
  find_path(OPENCV_INCLUDE_DIR opencv2/core.hpp PATH_SUFFIXES opencv4 REQUIRED)
  add_library(softprompt_opencv INTERFACE)
  target_include_directories(softprompt_opencv INTERFACE ${OPENCV_INCLUDE_DIR})
  foreach(m core imgproc imgcodecs)
    find_library(OPENCV_${m}_LIB opencv_${m} REQUIRED)
    target_link_libraries(softprompt_opencv INTERFACE ${OPENCV_${m}_LIB})
  endforeach()
endif()
