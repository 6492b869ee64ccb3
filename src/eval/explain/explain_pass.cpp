#include "eval/explain/explain_pass.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "core/error.h"
#include "core/strings.h"
#include "eval/explain/contact_sheet.h"
#include "eval/explain/render.h"
#include "eval/plot_canvas.h"

namespace softvit {
namespace fs = std::filesystem;
namespace {

std::string class_name(const std::vector<std::string>& classes, int64_t c) {
  return c >= 0 && c < static_cast<int64_t>(classes.size()) ? classes[static_cast<size_t>(c)] : cat(c);
}

// The end of a long identifier (a path's file name matters most).
std::string tail(const std::string& text, size_t length) {
  return text.size() <= length ? text : ".." + text.substr(text.size() - length);
}

std::string what_is_shown(const ExplainTarget& t, const ExplainSettings& s) {
  if (!explain_method_is_class_specific(s.method)) return "attention rollout (the same for every class)";
  return cat(explain_method_name(s.method), " evidence for '", class_name(s.classes, t.explained), "' (p ",
             fixed(t.explained_probability, 3), ")");
}

std::vector<std::string> figure_title(const ExplainTarget& t, const ExplainSettings& s) {
  std::vector<std::string> lines;
  if (!t.name.empty()) lines.push_back(tail(t.name, 60));
  std::string decision =
      cat("predicted '", class_name(s.classes, t.predicted), "' (p ", fixed(t.probability, 3), ")");
  if (t.label) decision = cat("label '", class_name(s.classes, *t.label), "', ", decision);
  if (!t.group.empty()) decision += cat(" [", t.group, "]");
  lines.push_back(decision);
  lines.push_back(what_is_shown(t, s));
  return lines;
}

std::vector<std::string> tile_caption(const ExplainTarget& t, const ExplainSettings& s) {
  std::vector<std::string> lines;
  if (t.label) lines.push_back(cat("label ", class_name(s.classes, *t.label)));
  lines.push_back(cat("pred ", class_name(s.classes, t.predicted), " ", fixed(t.probability, 2)));
  if (explain_method_is_class_specific(s.method) && t.explained != t.predicted)
    lines.push_back(cat("map for ", class_name(s.classes, t.explained)));
  if (!t.group.empty()) lines.push_back(t.group);
  return lines;
}

}  // namespace

std::pair<std::string, std::string> explain_paths(const std::string& output, bool is_folder) {
  if (is_folder)
    return {(fs::path(output) / "explain").string(), (fs::path(output) / "explain.png").string()};
  const fs::path file(output);
  const fs::path stem = file.parent_path() / file.stem();
  return {stem.string() + "_explain", stem.string() + "_explain.png"};
}

std::string file_name_part(const std::string& text, size_t max_length) {
  std::string out;
  for (char ch : text) {
    const bool safe = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                      ch == '-' || ch == '.';
    out += safe ? ch : '_';
  }
  return out.size() > max_length ? out.substr(out.size() - max_length) : out;
}

ExplainReport write_explanations(Model& model, BatchSource& loader, const torch::Device& device,
                                 const std::vector<ExplainTarget>& targets, const ExplainSettings& settings) {
  ExplainReport report;
  std::map<int64_t, size_t> by_row;  // row -> index in targets
  for (size_t i = 0; i < targets.size(); ++i) by_row[targets[i].row] = i;
  std::vector<cv::Mat> overlays(targets.size());
  std::vector<bool> done(targets.size(), false);
  fs::create_directories(settings.folder);

  loader.start_epoch(0);
  int64_t offset = 0;
  while (offset <= (by_row.empty() ? -1 : by_row.rbegin()->first)) {
    std::optional<Batch> batch = loader.next();
    if (!batch) break;
    const int64_t size = batch->images.size(0);
    std::vector<int64_t> local;
    std::vector<size_t> chosen;
    for (auto it = by_row.lower_bound(offset); it != by_row.end() && it->first < offset + size; ++it) {
      const ExplainTarget& t = targets[it->second];
      const int64_t k = t.row - offset;
      if (!t.name.empty() && !batch->names.empty() && batch->names[static_cast<size_t>(k)] != t.name)
        throw Error(cat("explanations: row ", t.row, " is '", batch->names[static_cast<size_t>(k)],
                        "' on the second reading but was '", t.name, "' when scored; nothing explained"));
      local.push_back(k);
      chosen.push_back(it->second);
    }
    offset += size;
    if (local.empty()) continue;
    const auto index = torch::tensor(local, torch::kLong).to(batch->images.device());
    const auto images = batch->images.index_select(0, index).to(device);
    std::vector<int64_t> classes;
    for (size_t i : chosen) classes.push_back(targets[i].explained);
    const HeatMaps maps =
        explain_images(model, images, torch::tensor(classes, torch::kLong), settings.method);
    report.layer = maps.layer;
    for (size_t j = 0; j < chosen.size(); ++j) {
      const ExplainTarget& t = targets[chosen[j]];
      const auto map = maps.maps[static_cast<int64_t>(j)];
      if (map.max().item<float>() <= 0) ++report.flat_maps;
      const cv::Mat image = to_display_image(images[static_cast<int64_t>(j)], settings.mean, settings.std);
      overlays[chosen[j]] = overlay_heat_map(image, map);
      const std::string path = (fs::path(settings.folder) / (t.file_stem + ".png")).string();
      plot::write_png(path, draw_explanation(overlays[chosen[j]], figure_title(t, settings)));
      report.files.push_back(path);
      done[chosen[j]] = true;
    }
  }
  for (size_t i = 0; i < targets.size(); ++i)
    if (!done[i])
      throw Error(
          cat("explanations: row ", targets[i].row, " was not found on the second reading of the data"));

  std::vector<SheetTile> tiles;
  for (size_t i = 0; i < targets.size(); ++i)
    tiles.push_back({overlays[i], tile_caption(targets[i], settings)});
  const std::string title =
      cat(explain_method_name(settings.method), ", ", settings.subject, ": ", targets.size(), " images");
  plot::write_png(settings.sheet, draw_contact_sheet(tiles, title));
  report.files.push_back(settings.sheet);
  return report;
}

}  // namespace softvit
