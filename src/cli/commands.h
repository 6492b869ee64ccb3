// One function per subcommand: each adds itself to the app and runs from its callback.
#pragma once
#include <CLI/CLI.hpp>

namespace softvit::cli {

void add_train_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_config_command(CLI::App& app);
void add_models_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_convert_command(CLI::App& app);
void add_data_command(CLI::App& app);
// `softvit check kernels`: the fused CUDA kernels against the reference paths (GPU only).
void add_check_command(CLI::App& app);
void add_check_decode_command(CLI::App& check);
void add_launch_command(CLI::App& app);
// Subcommands of `softvit bench`, each in its own file.
void add_bench_steps_commands(CLI::App& bench);
void add_bench_attention_command(CLI::App& bench);
void add_bench_loader_command(CLI::App& bench);
// `softvit data pack`, a subcommand of `softvit data`.
void add_data_pack_command(CLI::App& data);

}  // namespace softvit::cli
