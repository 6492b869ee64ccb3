// softvit models and softvit bench attention, end to end through the binary.
#include <sys/wait.h>

#include <cstdio>
#include <sstream>

#include "catch.h"

namespace {

struct Output {
  int status;
  std::string text;  // stdout and stderr
};

// One thread: on a shared machine, spinning OpenMP workers make small runs many times slower.
Output softvit(const std::string& args) {
  FILE* pipe =
      popen(("OMP_NUM_THREADS=1 " + std::string(SOFTVIT_BINARY) + " " + args + " 2>&1").c_str(), "r");
  REQUIRE(pipe);
  std::string text;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) text.append(buffer, n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

// Cells of the markdown table row "| tokens | grid | ... |" under the heading that starts with
// `heading`.
std::vector<std::string> table_row(const std::string& text, const std::string& heading,
                                   const std::string& tokens) {
  std::istringstream in(text.substr(text.find(heading)));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("| " + tokens + " |", 0) != 0) continue;
    std::vector<std::string> cells;
    std::istringstream row(line);
    for (std::string cell; std::getline(row, cell, '|');)
      if (cell.find_first_not_of(' ') != std::string::npos) cells.push_back(cell.substr(1, cell.size() - 2));
    return cells;
  }
  return {};
}

}  // namespace

TEST_CASE("models command: lists the filtered models with parameters and counted FLOPs", "[models][cli]") {
  const auto out = softvit("models --filter norm_tiny --img-size 224");
  REQUIRE(out.status == 0);
  CHECK(out.text.find("soft_tiny") == std::string::npos);
  const auto at = out.text.find("\nsoft_norm_tiny ");
  REQUIRE(at != std::string::npos);
  std::istringstream in(out.text.substr(at + 1));
  std::string name, family;
  int px = 0;
  double params = 0, gflops = 0, newton = 0;
  in >> name >> family >> px >> params >> gflops >> newton;
  CHECK(px == 224);
  CHECK(params == Approx(13.07).margin(0.005));
  CHECK(gflops == Approx(1.93).margin(0.01));  // tests/models/test_flops.cpp checks the count itself
  CHECK(newton == Approx(0.19).margin(0.01));
}

TEST_CASE("bench attention: memory of explicit softmax grows quadratically and seqnorm linearly",
          "[models][cli]") {
  const auto out =
      softvit("bench attention --tokens 256,1024 --kinds seqnorm,softmax --repeats 1 --threads 1");
  REQUIRE(out.status == 0);
  CHECK(out.text.find("failed") == std::string::npos);
  const std::string heading = "Peak tensor memory";
  const auto small = table_row(out.text, heading, "256"), large = table_row(out.text, heading, "1024");
  REQUIRE(small.size() == 4);  // tokens, grid, seqnorm, softmax
  REQUIRE(large.size() == 4);
  CHECK(small[1] == "16x16");
  const double seqnorm_growth = std::stod(large[2]) / std::stod(small[2]);
  const double softmax_growth = std::stod(large[3]) / std::stod(small[3]);
  CHECK(seqnorm_growth == Approx(4.0).epsilon(0.15));  // 4x the tokens
  CHECK(softmax_growth > 10.0);                        // towards 16x: the n x n scores dominate
  CHECK(softvit("bench").status != 0);                 // a subcommand is required
}
