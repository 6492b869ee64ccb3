// Precompiled header for every target that uses LibTorch. Only heavy, stable headers belong here.
#pragma once
#include <torch/torch.h>
