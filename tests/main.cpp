#define CATCH_CONFIG_RUNNER
#include "catch.h"
#include "log/log.h"

int main(int argc, char** argv) {
  softvit::log::init_console(softvit::log::Level::warn);  // keep test output to failures
  return Catch::Session().run(argc, argv);
}
