// Logging facade. The implementation (log.cpp) uses spdlog and the system's fmt; this header
// includes neither, so code that sees torch's headers (which ship another fmt) can log.
// Messages are plain strings: build them with softvit::cat / softvit::fixed.
#pragma once
#include <string>

namespace softvit::log {

enum class Level { debug, info, warn, error };

// Console sink on stderr at `console_level`. Call once, early; safe to call again.
void init_console(Level console_level = Level::info);
// Adds a file sink (everything from debug up) at `path`, e.g. the run folder's train.log.
void add_file(const std::string& path);
// Removes the file sink and flushes it.
void close_file();

void debug(const std::string& message);
void info(const std::string& message);
void warn(const std::string& message);
void error(const std::string& message);

Level parse_level(const std::string& name);  // "debug" | "info" | "warn" | "error"

}  // namespace softvit::log
