// softvit's version, as `softvit --version` prints it and weights files record it.
#pragma once

namespace softvit {

inline constexpr const char* kVersion = "0.1.0";  // keep equal to project(VERSION) in CMakeLists.txt

}  // namespace softvit
