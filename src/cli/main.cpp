// softvit: train and evaluate softmax-free vision transformers. Errors end in one line on stderr
// and a non-zero exit status.
#include <c10/util/Exception.h>

#include <iostream>

#include "cli/commands.h"
#include "core/error.h"
#include "core/version.h"
#include "log/log.h"

int main(int argc, char** argv) {
  CLI::App app{"softvit: SOFT, softmax-free and softmax vision transformers on LibTorch"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("softvit ") + softvit::kVersion);
  softvit::cli::add_train_command(app);
  softvit::cli::add_eval_command(app);
  softvit::cli::add_predict_command(app);
  softvit::cli::add_config_command(app);
  softvit::cli::add_models_command(app);
  softvit::cli::add_bench_command(app);
  softvit::cli::add_convert_command(app);
  softvit::cli::add_data_command(app);
  softvit::cli::add_check_command(app);
  softvit::cli::add_launch_command(app);
  softvit::log::init_console();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const softvit::Error& e) {
    softvit::log::error(e.what());
    return 1;
  } catch (const c10::Error& e) {
    softvit::log::error(std::string("torch: ") + e.what_without_backtrace());
    return 1;
  } catch (const std::exception& e) {
    softvit::log::error(e.what());
    return 1;
  }
  return 0;
}
