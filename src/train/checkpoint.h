// Checkpoints: model tensors by name, optimizer state, progress, and the resolved config, in one
// file written atomically. The file is torch's pickle format, so torch.load reads it in Python.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace softvit {

struct CheckpointInfo {
  std::string model_name;
  std::string config_yaml;  // the resolved config of the run that wrote it
  std::vector<std::string> classes;
  int64_t epoch = 0;           // epochs completed
  int64_t step = 0;            // optimizer steps completed
  int64_t batch_in_epoch = 0;  // micro-batches of epoch `epoch` done (a save in mid-epoch)
  double best_metric = 0;
  int64_t best_epoch = 0;
  int64_t epochs_without_improvement = 0;
  std::vector<std::pair<double, int64_t>> top_k;  // (metric, epoch) of kept epoch checkpoints
  bool has_ema = false;                           // read only: the file holds EMA weights
  std::vector<int64_t> input_size;                // C, H, W of the training batches; empty: not recorded
};

// Writes atomically. With `ema`, its weights are stored too; the global RNG states (CPU and
// every CUDA device) always are, so that a resumed run draws the same random numbers.
void save_checkpoint(const std::string& path, const torch::nn::Module& model,
                     torch::optim::Optimizer* optimizer, const CheckpointInfo& info,
                     const torch::nn::Module* ema = nullptr);

// Reads only the info part (to build the model before loading its weights).
CheckpointInfo read_checkpoint_info(const std::string& path);

// Loads weights (and optimizer state when given) strictly: a missing, unexpected or misshaped
// tensor is a CheckpointError that names it.
// `ema` and `restore_rng` are for resuming a run.
CheckpointInfo load_checkpoint(const std::string& path, torch::nn::Module& model,
                               torch::optim::Optimizer* optimizer = nullptr, torch::nn::Module* ema = nullptr,
                               bool restore_rng = false);

}  // namespace softvit
