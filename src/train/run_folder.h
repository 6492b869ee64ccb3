// One run per run folder. A fresh run starts only in a folder that holds no earlier run (or with
// --overwrite, which removes that run's files first); `softvit train --resume DIR` continues the
// run that is there. So metrics.jsonl, summary.csv, curves.png and the checkpoints are always
// those of one run, and a NaN message or a resume can only mean this run's last.pt.
#pragma once
#include <string>
#include <vector>

namespace softvit {

// The files of an earlier run that `run_dir` holds ("config.yaml", "summary.csv", "checkpoints/",
// ...); empty when there is none. A train.log alone is a start that failed: not a run.
std::vector<std::string> earlier_run_files(const std::string& run_dir);

// Before a fresh run writes anything: throws ConfigError naming the folder, what it holds and the
// ways on (--resume, --overwrite, another --output) unless it holds no earlier run or `overwrite`
// is set. With `overwrite` and `remove` (rank 0 only), deletes the earlier run's files.
void prepare_fresh_run_folder(const std::string& run_dir, bool overwrite, bool remove);

// Before a resume: the folder's config.yaml and checkpoints/last.pt must be of one run (their
// model and data sections agree). Throws ConfigError otherwise, naming the first line that
// differs, or when last.pt is missing. Folders where an older softvit started a second run over
// a first one can hold the first run's last.pt beside the second run's config.
void check_resumable(const std::string& run_dir);

}  // namespace softvit
