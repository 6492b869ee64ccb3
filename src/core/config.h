// The typed run configuration. Every field is declared in exactly one place: its default here,
// its key, type and help in the option table (options.cpp). Loading, overrides, validation and
// the YAML dump all go through that table.
#pragma once
#include <string>
#include <vector>

namespace softvit {

struct RunSection {
  std::string output = "";  // run folder; empty: runs/<config name>
  int seed = 0;
  std::string device = "cpu";  // cpu | cuda | cuda:N
  int threads = 0;             // intra-op threads; 0: all cores
  int log_every = 50;          // steps between progress lines
  std::string log_level = "info";
};

struct ModelSection {
  std::string name = "vit_mini_patch4_28";
  // Overrides of the registered model's own sizes; 0 (or empty) keeps the model's value.
  int img_size = 0;
  int patch_size = 0;
  int in_chans = 0;
  int num_classes = 0;  // 0: from the data
  int embed_dim = 0;
  int depth = 0;
  int num_heads = 0;
  double mlp_ratio = 0;
  double drop_rate = 0.0;
  double drop_path = 0.0;
  // Starting weights (fine-tuning): a .safetensors file or a .pt (softvit checkpoint or torch
  // state dict); empty: random init.
  std::string init_from = "";
  bool init_strict = true;                  // missing, unexpected or misshaped tensors are errors
  std::vector<std::string> init_skip = {};  // tensor names or module paths not loaded, e.g. [head]
  // Pyramid (soft_*) sizes per stage; empty keeps the model's own.
  std::vector<int> dims = {};
  std::vector<int> depths = {};
  std::vector<int> heads = {};
  // Attention: kind and settings. Empty / 0 keeps the model's own.
  std::string attention = "";                // softmax | soft | soft_norm | seqnorm | sima
  std::string landmarks = "";                // soft: conv | avgpool
  int landmark_count = 0;                    // soft: fixed landmarks per head, a square (49); 0: by stride
  std::vector<int> sr_ratios = {};           // soft: landmark stride per SOFT stage (1 value for a ViT)
  std::vector<int> local_conv = {};          // soft: depthwise kernel per SOFT stage, 0: none
  int newton_iters = 0;                      // soft: Newton iterations of the pseudo-inverse
  std::string seqnorm_stat = "standardise";  // seqnorm: standardise | l2
  double seqnorm_eps = 1e-5;
  bool seqnorm_cls = true;  // seqnorm: the cls token enters the statistics
};

// data.dicom.window: auto | minmax, or a fixed window {center: C, width: W} (YAML map; [C, W] too).
struct DicomWindow {
  std::string mode = "auto";  // auto | minmax | fixed (written as the map)
  double center = 0;
  double width = 0;
};

struct DicomSection {
  DicomWindow window;
  std::string frames = "first";  // files of several frames: first | error
};

struct DataSection {
  std::string source = "idx";  // idx | npz | folder | csv | synthetic | webdataset
  std::string root = "/usr/share/datasets/fashion-mnist";
  std::string train_split = "train";
  std::string val_split = "";  // empty: "val" when the data has it (else set val_fraction or name a split)
  double val_fraction = 0.0;   // > 0: validate on this stratified fraction of train_split, held out
  int val_seed = 0;            // seed of that hold-out (the same validation set whatever run.seed)
  std::string test_split = "test";
  std::vector<std::string> classes = {};  // empty: the source's own names
  int limit_train = 0;                    // use only the first N training samples; 0: all
  int limit_eval = 0;
  std::vector<double> mean = {0.2860};
  std::vector<double> std = {0.3530};
  int pad_crop = 0;    // random crop after zero padding by this many pixels (train)
  double hflip = 0.0;  // probability of a horizontal flip (train)
  // csv source
  std::string manifest = "";  // CSV file, relative to root; "{split}" is replaced by the split
  std::string csv_path_column = "path";
  std::string csv_label_column = "label";
  std::vector<std::string> csv_label_columns = {};  // multi-label: one 0/1 column per class
  std::string csv_split_column = "";                // empty: the manifest holds one split
  // webdataset source
  std::vector<std::string> shards = {};  // shard files relative to root: {split}, {0..9}, {a,b}, globs
  std::string label_field = "";          // empty: the .cls member; else this field of the .json member
  std::string classes_file = "";         // class names in label order, relative to root
  int shuffle_buffer = 1000;             // training: samples in each reader stream's shuffle buffer
  int shard_streams = 4;                 // reader streams per process
  // synthetic source
  int synthetic_samples = 512;
  int synthetic_size = 32;
  int synthetic_classes = 10;
  // decoding
  int channels = 0;                  // 1 | 3; 0: the source's own (gray for idx/npz gray)
  std::string scale_16bit = "full";  // full | minmax
  bool roi_decode = true;            // JPEG: decode only the random crop's region (libjpeg)
  DicomSection dicom;                // DICOM files (.dcm): window to 8 bits, frames
  // transforms: lists of "name(key=value, ...)"; empty train list: pad_crop/hflip above
  std::vector<std::string> train_transforms = {};
  std::vector<std::string> eval_transforms = {};
  double mixup = 0.0;   // Beta alpha; 0: off
  double cutmix = 0.0;  // Beta alpha; 0: off
  double mixup_prob = 1.0;
  double mixup_switch_prob = 0.5;
  // loader
  int workers = 0;                 // worker threads; 0: all cores
  int prefetch = 0;                // whole batches prepared ahead; 0: two per worker
  std::string sampler = "random";  // random | balanced | repeated (train)
  int repeats = 3;                 // repeated augmentation: copies of each image per epoch
  std::string on_error = "stop";   // stop | skip
};

struct TrainSection {
  int epochs = 10;
  int batch_size = 128;  // per process and step
  int accum_steps = 1;   // micro-batches per optimizer step
  int eval_batch_size = 512;
  std::string loss = "ce";  // ce | bce (multi-label)
  double label_smoothing = 0.1;
  std::vector<double> class_weights = {};  // per class; empty: equal
  std::string class_weighting = "none";    // none | inverse_frequency (computed from the train split)
  double clip_grad = 0.0;                  // global gradient norm; 0: off
  std::string precision = "fp32";          // fp32 | bf16 (autocast on CUDA, fp32 weights)
  double ema_decay = 0.0;                  // 0: no EMA
  double ema_horizon_epochs = 0.0;         // > 0: the EMA decay whose horizon is this many epochs
  std::string on_collapse = "warn";        // warn | stop: training loss or val top-1 back at chance
  int early_stop_patience = 0;             // epochs without improvement; 0: off
  bool cuda_graph = false;     // CUDA: capture the whole step in a CUDA graph (static shapes, accum 1)
  bool channels_last = false;  // CUDA: conv weights and input batches in channels-last layout
};

struct CheckpointSection {
  std::string best_metric = "val_top1";  // val_top1 | val_loss | val_auroc, or ema_ before any
  int keep_top_k = 0;                    // also keep the k best epochs as epoch_NNN.pt
};

struct OptimSection {
  std::string name = "adamw";
  double lr = 1e-3;
  int lr_base_batch = 0;  // lr is for this global batch, scaled linearly; 0: no scaling
  bool decay_pos_embed = false;
  bool fused = true;  // AdamW through the fused multi-tensor kernel
  double weight_decay = 0.05;
  std::vector<double> betas = {0.9, 0.999};
  double eps = 1e-8;
};

struct ScheduleSection {
  std::string name = "cosine";            // cosine | step | constant
  std::vector<double> decay_epochs = {};  // step: epochs at which lr is multiplied by decay_rate
  double decay_rate = 0.1;
  double warmup_epochs = 1.0;
  double warmup_lr = 1e-6;
  double min_lr = 1e-5;
};

struct EvalSection {
  double threshold = 0.5;            // score >= threshold calls a sample positive (sensitivity, specificity)
  std::string positive_class = "1";  // binary tasks: the positive class, by name or index
  int bootstrap = 1000;              // bootstrap resamples for the 95% intervals; 0: none
  int bootstrap_seed = 0;
  int ece_bins = 15;
  std::string tta = "none";  // test-time augmentation of softvit eval and validation: none | hflip
};

// Data-parallel training over several processes (softvit launch, torchrun, srun): used only when
// the environment says WORLD_SIZE > 1.
struct DistSection {
  std::string backend = "auto";         // auto (nccl on CUDA, gloo on the CPU) | nccl | gloo
  double connect_timeout_s = 120;       // reaching the store and every rank at the start
  double timeout_s = 600;               // one collective (gradients, evaluation, agreement)
  double bucket_mb = 25;                // gradients all-reduced in buckets of about this size
  bool find_unused_parameters = false;  // parameters that may get no gradient in a step
  bool sync_batchnorm = false;          // BatchNorm statistics over every process (SOFT's conv stem)
};

struct RunConfig {
  RunSection run;
  ModelSection model;
  DataSection data;
  TrainSection train;
  CheckpointSection checkpoint;
  OptimSection optim;
  ScheduleSection schedule;
  EvalSection eval;
  DistSection dist;
};

// Reads `file` (following `include:`), then applies `overrides` ("key=value", value in YAML).
// Throws ConfigError naming the key, the file and line, and the closest valid key.
RunConfig load_config(const std::string& file, const std::vector<std::string>& overrides = {});

// Same from YAML text (e.g. the config saved in a checkpoint); `origin` names it in errors.
RunConfig parse_config(const std::string& yaml_text, const std::string& origin,
                       const std::vector<std::string>& overrides = {});

// The whole configuration as YAML; with_help adds each option's help as a comment.
std::string to_yaml(const RunConfig& config, bool with_help = false);

// Rejects values that parse but make no sense (negative epochs, unknown device kind, ...).
void validate(const RunConfig& config);

}  // namespace softvit
