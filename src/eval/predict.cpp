#include "eval/predict.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "core/error.h"
#include "core/strings.h"
#include "eval/eval_outputs.h"

namespace softvit {
namespace fs = std::filesystem;
namespace {

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", v);
  return buffer;
}

std::string predicted(const float* p, const std::vector<std::string>& classes, const Decision& d) {
  const auto k = static_cast<int64_t>(classes.size());
  if (d.multi_label) {
    std::vector<std::string> called;
    for (int64_t c = 0; c < k; ++c)
      if (p[c] >= d.threshold) called.push_back(classes[static_cast<size_t>(c)]);
    return join(called, ";");
  }
  if (d.positive_class >= 0)
    return classes[static_cast<size_t>(p[d.positive_class] >= d.threshold ? d.positive_class
                                                                          : 1 - d.positive_class)];
  return classes[static_cast<size_t>(std::max_element(p, p + k) - p)];
}

}  // namespace

PredictionTable predict(Model& model, BatchSource& loader, const torch::Device& device,
                        TestTimeAugmentation tta, bool multi_label,
                        const std::function<void(int64_t)>& progress) {
  const bool was_training = model.is_training();
  model.eval();
  PredictionTable table;
  table.probabilities.cols = model.num_classes();
  {
    torch::NoGradGuard no_grad;
    loader.start_epoch(0);
    while (auto batch = loader.next()) {
      const auto logits =
          predict_logits(model, batch->images.to(device, /*non_blocking=*/true), tta, multi_label);
      const auto p = (multi_label ? torch::sigmoid(logits) : torch::softmax(logits, 1))
                         .to(torch::kCPU, torch::kFloat32)
                         .contiguous();
      table.probabilities.values.insert(table.probabilities.values.end(), p.data_ptr<float>(),
                                        p.data_ptr<float>() + p.numel());
      table.probabilities.rows += p.size(0);
      table.names.insert(table.names.end(), batch->names.begin(), batch->names.end());
      if (progress) progress(table.probabilities.rows);
    }
  }
  model.train(was_training);
  return table;
}

void write_prediction_csv(const std::string& path, const std::vector<std::string>& header,
                          const PredictionTable& table, const std::vector<std::string>& classes,
                          const Decision& decision, int64_t top_k) {
  const auto k = static_cast<int64_t>(classes.size());
  if (table.probabilities.cols != k)
    throw Error(
        cat("predictions '", path, "': ", k, " class names for ", table.probabilities.cols, " columns"));
  if (decision.positive_class >= 0 && k != 2)
    throw Error(cat("predictions '", path, "': a decision threshold needs a binary model, this one has ", k,
                    " classes"));
  top_k = std::clamp<int64_t>(top_k, 1, k);
  if (const auto parent = fs::path(path).parent_path(); !parent.empty()) fs::create_directories(parent);
  const std::string temporary = path + ".tmp";
  std::ofstream out(temporary, std::ios::binary);
  if (!out) throw Error(cat("cannot write '", temporary, "'"));
  for (const auto& line : header) out << "# " << line << "\n";
  out << "image,predicted";
  for (const auto& c : classes) out << "," << csv_field("p_" + c);
  for (int64_t t = 1; t <= top_k; ++t) out << ",top" << t << "_class,top" << t << "_p";
  out << "\n";
  std::vector<int64_t> order(static_cast<size_t>(k));
  for (int64_t i = 0; i < table.probabilities.rows; ++i) {
    const float* p = table.probabilities.row(i);
    out << csv_field(table.names[static_cast<size_t>(i)]) << ","
        << csv_field(predicted(p, classes, decision));
    for (int64_t c = 0; c < k; ++c) out << "," << number(p[c]);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [p](int64_t a, int64_t b) { return p[a] > p[b]; });
    for (int64_t t = 0; t < top_k; ++t)
      out << "," << csv_field(classes[static_cast<size_t>(order[static_cast<size_t>(t)])]) << ","
          << number(p[order[static_cast<size_t>(t)]]);
    out << "\n";
  }
  out.close();
  if (!out) throw Error(cat("cannot write '", temporary, "' (disk full?)"));
  fs::rename(temporary, path);
}

}  // namespace softvit
