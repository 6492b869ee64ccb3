// The explanation pass of softvit eval/predict --explain. It runs after scoring, over a second pass
// of a loader built like the scoring one (same images, same order, same eval transforms), and
// changes nothing that was scored: it only reads the chosen images again, explains them and writes
// PNGs. Each image's PNG (overlay, colour bar, its identifier, label, prediction and probability as
// scored) goes into a folder, and all of them onto one contact sheet.
#pragma once
#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

#include "data/batch.h"
#include "eval/explain/heat_map.h"
#include "models/model.h"

namespace softvit {

struct ExplainTarget {
  int64_t row = 0;               // the image's position in the loader's order (the scored row)
  std::string name;              // its identifier, when the scoring pass had one: checked on reading
  std::string group;             // eval: correct | wrong | uncertain; predict: empty
  std::optional<int64_t> label;  // the true class, when known
  int64_t predicted = 0;         // the decided class, as scored
  double probability = 0;        // p(predicted), as scored
  int64_t explained = 0;         // the class whose evidence is shown (predicted unless --class)
  double explained_probability = 0;
  std::string file_stem;  // the PNG's name without .png (ASCII letters, digits, '_', '-', '.')
};

struct ExplainSettings {
  ExplainMethod method = ExplainMethod::integrated_gradients;
  std::vector<std::string> classes;
  std::vector<double> mean, std;  // the loader's normalisation, to show the image as it was read
  std::string folder;             // one PNG per image
  std::string sheet;              // the contact sheet
  std::string subject;            // "vit_mini on test": the sheet's title
};

struct ExplainReport {
  std::vector<std::string> files;  // every PNG written, the sheet last
  std::string layer;               // what the maps were taken from
  int64_t flat_maps = 0;           // maps without any positive evidence (all zero)
};

// Where --explain writes beside an output: a folder D gives D/explain/ and D/explain.png; a file
// F.ext gives F_explain/ and F_explain.png beside it.
std::pair<std::string, std::string> explain_paths(const std::string& output, bool is_folder);

// `text` reduced to a safe file-name part: letters, digits, '-', '.' kept, anything else '_'.
std::string file_name_part(const std::string& text, size_t max_length = 40);

// Reads `loader` from its first batch, explains the rows of `targets` (any order) and writes the
// files. Throws Error when a row is missing or its identifier differs from the scored one.
ExplainReport write_explanations(Model& model, BatchSource& loader, const torch::Device& device,
                                 const std::vector<ExplainTarget>& targets, const ExplainSettings& settings);

}  // namespace softvit
