#include "log/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>
#include <stdexcept>

namespace softvit::log {
namespace {

std::mutex state_mutex;
std::shared_ptr<spdlog::logger> logger;
std::shared_ptr<spdlog::sinks::sink> file_sink;

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::debug:
      return spdlog::level::debug;
    case Level::info:
      return spdlog::level::info;
    case Level::warn:
      return spdlog::level::warn;
    case Level::error:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

spdlog::logger& get() {
  std::lock_guard<std::mutex> lock(state_mutex);
  if (!logger) {
    auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    console->set_level(spdlog::level::info);
    console->set_pattern("[%H:%M:%S] %^%l%$ %v");
    logger = std::make_shared<spdlog::logger>("softvit", console);
    logger->set_level(spdlog::level::debug);
    logger->flush_on(spdlog::level::warn);
  }
  return *logger;
}

}  // namespace

void init_console(Level console_level) { get().sinks().front()->set_level(to_spdlog(console_level)); }

void add_file(const std::string& path) {
  close_file();
  auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, /*truncate=*/false);
  sink->set_level(spdlog::level::debug);
  sink->set_pattern("[%Y-%m-%d %H:%M:%S.%e] %l %v");
  std::lock_guard<std::mutex> lock(state_mutex);
  file_sink = sink;
  logger->sinks().push_back(sink);
}

void close_file() {
  get();
  std::lock_guard<std::mutex> lock(state_mutex);
  if (!file_sink) return;
  file_sink->flush();
  auto& sinks = logger->sinks();
  for (auto it = sinks.begin(); it != sinks.end(); ++it)
    if (*it == file_sink) {
      sinks.erase(it);
      break;
    }
  file_sink.reset();
}

void debug(const std::string& message) { get().debug(message); }
void info(const std::string& message) {
  get().info(message);
  if (file_sink) file_sink->flush();
}
void warn(const std::string& message) { get().warn(message); }
void error(const std::string& message) { get().error(message); }

Level parse_level(const std::string& name) {
  if (name == "debug") return Level::debug;
  if (name == "info") return Level::info;
  if (name == "warn") return Level::warn;
  if (name == "error") return Level::error;
  throw std::invalid_argument("unknown log level '" + name + "' (debug, info, warn, error)");
}

}  // namespace softvit::log
