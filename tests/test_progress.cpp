// Long commands show progress on stderr (done/total, rate, ETA), and what they print on stdout
// stays clean: softvit eval, data inspect and models. SOFTVIT_PROGRESS_SECONDS=0 asks for a line
// after every step, so that short runs show them too.
#include <nlohmann/json.hpp>

#include "catch.h"
#include "test_util.h"

namespace {

const std::string kEveryStep = "SOFTVIT_PROGRESS_SECONDS=0 OMP_NUM_THREADS=1 ";

std::string synthetic_config(const TempDir& dir) {
  return dir.write("s.yaml",
                   "model: {name: vit_mini_patch4_28, depth: 1, embed_dim: 16, num_heads: 2}\n"
                   "data: {source: synthetic, synthetic_samples: 64, synthetic_size: 28, synthetic_classes: "
                   "4, workers: 1}\n"
                   "train: {epochs: 1, batch_size: 16, eval_batch_size: 16}\n"
                   "eval: {bootstrap: 0}\n"
                   "run: {threads: 1}\n");
}

}  // namespace

TEST_CASE("progress: models prints each row as it is counted, with progress between", "[cli][progress]") {
  const auto out = run_shell(kEveryStep + SOFTVIT_BINARY + " models --filter _patch4_28");
  INFO(out.text);
  REQUIRE(out.status == 0);
  CHECK(out.text.find("models (1 thread): 3 models") != std::string::npos);
  // stdout and stderr share the pipe: each row is there before the progress line that follows it,
  // which needs the row flushed when it is counted, not when the command ends.
  const auto first_row = out.text.find("\ndeit_tiny_patch4_28 "),
             first_progress = out.text.find("3 models (33%)");
  const auto second_row = out.text.find("\nvit_mini_patch4_28 ");
  REQUIRE(first_row != std::string::npos);
  REQUIRE(first_progress != std::string::npos);
  REQUIRE(second_row != std::string::npos);
  CHECK(first_row < first_progress);
  CHECK(first_progress < second_row);
  CHECK(out.text.find("ETA") != std::string::npos);
  CHECK(out.text.find("3 models done in") != std::string::npos);
}

TEST_CASE("progress: eval and data inspect report images done, and stdout stays clean", "[cli][progress]") {
  TempDir dir;
  const std::string config = synthetic_config(dir), out = dir.path("run");
  REQUIRE(run_softvit("train --config " + config + " --output " + out).status == 0);

  const std::string eval = kEveryStep + SOFTVIT_BINARY + " eval --checkpoint " + out + "/checkpoints/last.pt";
  const auto both = run_shell(eval);
  INFO(both.text);
  REQUIRE(both.status == 0);
  CHECK(both.text.find("eval vit_mini_patch4_28 on test: 64 images") != std::string::npos);
  CHECK(both.text.find("16/64 images (25%)") != std::string::npos);
  CHECK(both.text.find("48/64 images (75%)") != std::string::npos);
  CHECK(both.text.find("64 images done in") != std::string::npos);
  const auto stdout_only = run_shell(eval + " 2>/dev/null");
  CHECK(nlohmann::json::parse(stdout_only.text)["n"] == 64);  // nothing but the JSON

  const std::string inspect = kEveryStep + SOFTVIT_BINARY + " data inspect --config " + config;
  const auto listed = run_shell(inspect);
  INFO(listed.text);
  REQUIRE(listed.status == 0);
  CHECK(listed.text.find("data inspect (train): 32/64 images (50%)") != std::string::npos);
  CHECK(listed.text.find("data inspect (test): 64 images done in") != std::string::npos);
  CHECK(run_shell(inspect + " 2>/dev/null").text.find("images (") == std::string::npos);
}
