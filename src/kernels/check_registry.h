// The checks of the fused CUDA kernels, one per kernel beside it (src/kernels/<kernel>_check.cpp),
// in the order `softvit check kernels` runs them. A new kernel's check is one file plus one line in
// check_registry.cpp; the CLI only lists and runs what is here.
#pragma once
#include <string>
#include <vector>

#include "kernels/check_util.h"

namespace softvit::kernels::check {

using CheckFunction = void (*)(const Target& target, std::vector<Row>& rows);

struct KernelCheck {
  std::string name;    // the check's file is src/kernels/<name>_check.cpp
  std::string kernel;  // the kernel it checks (src/kernels/<kernel>.cu), or "" for several at once
  std::string what;    // one line for `softvit check kernels --list`
  CheckFunction run;   // appends its rows
};

const std::vector<KernelCheck>& kernel_checks();

// Each check, defined in its own file.
void check_gaussian_kernel(const Target& target, std::vector<Row>& rows);
void check_newton_pinv(const Target& target, std::vector<Row>& rows);
void check_depthwise_conv(const Target& target, std::vector<Row>& rows);
void check_layer_norm(const Target& target, std::vector<Row>& rows);
void check_soft_layer(const Target& target, std::vector<Row>& rows);
void check_crop_resize(const Target& target, std::vector<Row>& rows);

}  // namespace softvit::kernels::check
