// softvit data pack --config F --output DIR [--split S ...] [--samples-per-shard N |
// --max-shard-bytes B] [--gz] [--prefix P]: the configured data (folder, CSV, npz, IDX, synthetic)
// written as WebDataset shards that data.source webdataset reads back, with the training split's
// class names in DIR/classes.txt. Prints the config lines that read them.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "core/config.h"
#include "core/error.h"
#include "core/strings.h"
#include "data/sources/make_source.h"
#include "data/sources/source_registry.h"
#include "data/webdataset/class_list.h"
#include "data/webdataset/shard_writer.h"
#include "log/log.h"

namespace softvit::cli {

void add_data_pack_command(CLI::App& data) {
  struct Args {
    std::string config;
    std::vector<std::string> overrides, splits;
    PackOptions pack;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = data.add_subcommand("pack", "write the configured data as WebDataset shards (.tar or .tar.gz)");
  cmd->add_option("-c,--config", args->config, "config file")->required();
  cmd->add_option("--set", args->overrides, "override an option: key=value (repeatable)");
  cmd->add_option("-o,--output", args->pack.output_dir, "folder for the shards and classes.txt")->required();
  cmd->add_option("--split", args->splits, "split to pack (repeatable); default: data.train/val/test_split");
  cmd->add_option("--prefix", args->pack.prefix, "shard names: PREFIX-SPLIT-000000.tar")->default_val("data");
  cmd->add_option("--samples-per-shard", args->pack.samples_per_shard, "start a new shard after N samples");
  cmd->add_option("--max-shard-bytes", args->pack.max_shard_bytes,
                  "start a new shard before it passes B bytes (uncompressed); default 256 MiB when "
                  "--samples-per-shard is not given");
  cmd->add_flag("--gz", args->pack.gzip, "gzip the shards (.tar.gz)");
  cmd->callback([args] {
    const RunConfig config = load_config(args->config, args->overrides);
    const DataSection& d = config.data;
    if (source_kind(d.source).streamed)
      throw ConfigError(cat("data pack writes shards from a random-access source; the config's data.source (",
                            d.source, ") is read as shards already"));
    if (args->pack.samples_per_shard < 0 || args->pack.max_shard_bytes < 0)
      throw ConfigError("--samples-per-shard and --max-shard-bytes must not be negative");
    std::vector<std::string> splits = args->splits;
    if (splits.empty())
      for (const auto& s : {d.train_split, d.val_split, d.test_split})
        if (std::find(splits.begin(), splits.end(), s) == splits.end()) splits.push_back(s);
    args->pack.skip_bad = d.on_error == "skip";
    // Every split is labelled in the training split's class order, as training and eval label them.
    const std::vector<std::string> classes = make_source(d, d.train_split)->classes();
    for (const auto& split : splits) {
      const SourcePtr source = make_source_for_classes(d, split, classes);
      const PackResult r = pack_split(*source, split, args->pack);
      for (const auto& p : r.skipped) log::warn(cat("data pack: skipped ", p.file, ": ", p.reason));
      std::cout << "split " << split << ": " << r.samples << " samples in " << r.shards.size() << " shards ("
                << (r.shards.empty() ? std::string("none") : r.shards.front())
                << (r.shards.size() > 1 ? " ..." : "") << ")"
                << (r.skipped.empty() ? std::string() : cat(", ", r.skipped.size(), " skipped")) << "\n";
    }
    const std::string class_file = (std::filesystem::path(args->pack.output_dir) / "classes.txt").string();
    write_class_list(class_file, classes);
    std::cout << "classes: " << class_file << " (" << classes.size() << ")\n"
              << "read them with:\n"
              << "  data.source: webdataset\n"
              << "  data.root: " << std::filesystem::absolute(args->pack.output_dir).string() << "\n"
              << "  data.shards: [\"" << packed_shard_pattern(args->pack) << "\"]\n"
              << "  data.classes_file: classes.txt\n";
  });
}

}  // namespace softvit::cli
