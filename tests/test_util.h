// Helpers shared by the tests: a temporary folder that removes itself.
#pragma once
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

struct TempDir {
  std::filesystem::path root;
  TempDir() {
    std::random_device rd;
    root = std::filesystem::temp_directory_path() / ("softvit-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(root);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(root, ignored);
  }
  std::string path(const std::string& name) const { return (root / name).string(); }
  std::string write(const std::string& name, const std::string& text) const {
    const auto p = root / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
};
