// The one table that declares every option: key, help; type and default come from the field.
#include "core/config_schema.h"

namespace softvit {
namespace {

// clang-format off
#define SOFTVIT_OPTION(path, help) \
  s.add(#path, [](RunConfig & c) -> auto& { return c.path; }, help)
// clang-format on

Schema build_schema() {
  Schema s;
  SOFTVIT_OPTION(run.output, "run folder; empty: runs/<config file name>");
  SOFTVIT_OPTION(run.seed, "seed of every random choice (init, order, augmentation)");
  SOFTVIT_OPTION(run.device, "cpu | cuda | cuda:N");
  SOFTVIT_OPTION(run.threads, "CPU threads for tensor ops; 0: all cores");
  SOFTVIT_OPTION(run.log_every, "steps between progress lines");
  SOFTVIT_OPTION(run.log_level, "console log level: debug | info | warn | error");

  SOFTVIT_OPTION(model.name, "registered model name (softvit models lists them)");
  SOFTVIT_OPTION(model.img_size, "input resolution; 0: the model's own");
  SOFTVIT_OPTION(model.patch_size, "patch size; 0: the model's own");
  SOFTVIT_OPTION(model.in_chans, "input channels; 0: from the data");
  SOFTVIT_OPTION(model.num_classes, "classes; 0: from the data");
  SOFTVIT_OPTION(model.embed_dim, "embedding width; 0: the model's own");
  SOFTVIT_OPTION(model.depth, "number of blocks; 0: the model's own");
  SOFTVIT_OPTION(model.num_heads, "attention heads; 0: the model's own");
  SOFTVIT_OPTION(model.mlp_ratio, "MLP hidden width / embedding width; 0: the model's own");
  SOFTVIT_OPTION(model.drop_rate, "dropout after the embedding and before the head");
  SOFTVIT_OPTION(model.drop_path, "stochastic depth rate, linear over depth");
  SOFTVIT_OPTION(model.init_from, "start from these weights: .safetensors or .pt; empty: random init");
  SOFTVIT_OPTION(model.init_strict, "init_from must match the model exactly (names and shapes)");
  SOFTVIT_OPTION(model.init_skip, "tensor names or module paths init_from leaves out, e.g. [head]");
  SOFTVIT_OPTION(model.dims, "pyramid models: width of each of the 4 stages; empty: the model's own");
  SOFTVIT_OPTION(model.depths, "pyramid models: blocks in each of the 4 stages; empty: the model's own");
  SOFTVIT_OPTION(model.heads, "pyramid models: heads in each of the 4 stages; empty: the model's own");
  SOFTVIT_OPTION(model.attention, "softmax | soft | soft_norm | seqnorm | sima; empty: the model's own");
  SOFTVIT_OPTION(model.landmarks, "soft: landmark sampler conv | avgpool; empty: the model's own");
  SOFTVIT_OPTION(model.landmark_count, "soft: fixed landmarks per head, a square such as 49; 0: by stride");
  SOFTVIT_OPTION(model.sr_ratios, "soft: landmark stride per SOFT stage (one value for a ViT); empty: own");
  SOFTVIT_OPTION(model.local_conv, "soft: local depthwise kernel per SOFT stage (odd; 0: none); empty: own");
  SOFTVIT_OPTION(model.newton_iters, "soft: Newton iterations of the landmark pseudo-inverse; 0: own (20)");
  SOFTVIT_OPTION(model.seqnorm_stat, "seqnorm: token statistic standardise | l2");
  SOFTVIT_OPTION(model.seqnorm_eps, "seqnorm: epsilon added to the token variance (or mean square)");
  SOFTVIT_OPTION(model.seqnorm_cls, "seqnorm: whether the cls token enters the token statistics");

  SOFTVIT_OPTION(data.source, "dataset format: idx | npz | folder | csv | synthetic | webdataset");
  SOFTVIT_OPTION(data.root, "dataset folder (npz: the .npz file)");
  SOFTVIT_OPTION(data.train_split, "split to train on");
  SOFTVIT_OPTION(data.val_split,
                 "split evaluated after each epoch, which chooses best.pt; empty: val if the data has it "
                 "(else set data.val_fraction, or name the test split explicitly)");
  SOFTVIT_OPTION(data.val_fraction,
                 "validate on this fraction of train_split, held out (stratified by class, seeded by "
                 "data.val_seed) and not trained on; 0: off");
  SOFTVIT_OPTION(data.val_seed, "seed of the data.val_fraction hold-out");
  SOFTVIT_OPTION(data.test_split, "split softvit eval reports on");
  SOFTVIT_OPTION(data.classes, "class names in label order; empty: the source's own");
  SOFTVIT_OPTION(data.limit_train, "train on the first N samples only; 0: all");
  SOFTVIT_OPTION(data.limit_eval,
                 "validate on the first N samples only; 0: all (softvit eval ignores it unless given on its "
                 "own command line)");
  SOFTVIT_OPTION(data.mean, "per-channel mean of the [0,1] pixels, for normalisation");
  SOFTVIT_OPTION(data.std, "per-channel standard deviation, for normalisation");
  SOFTVIT_OPTION(data.pad_crop, "train: random crop after zero padding by this many pixels");
  SOFTVIT_OPTION(data.hflip, "train: probability of a horizontal flip");
  SOFTVIT_OPTION(data.manifest, "csv: manifest file relative to data.root; {split} is replaced by the split");
  SOFTVIT_OPTION(data.csv_path_column, "csv: column holding the image path (relative to data.root)");
  SOFTVIT_OPTION(data.csv_label_column, "csv: column holding the class (name or index)");
  SOFTVIT_OPTION(data.csv_label_columns, "csv multi-label: one 0/1 column per class, in class order");
  SOFTVIT_OPTION(data.csv_split_column, "csv: column naming each row's split; empty: one manifest per split");
  SOFTVIT_OPTION(
      data.shards,
      "webdataset: shard files relative to data.root; {split}, ranges {000000..000009}, lists {a,b} "
      "and globs, e.g. [\"name-{split}-*.tar.gz\"]");
  SOFTVIT_OPTION(data.label_field, "webdataset: label from this field of KEY.json; empty: KEY.cls");
  SOFTVIT_OPTION(data.classes_file,
                 "webdataset: class names in label order (.txt lines, .json list, .tsv/.csv column name), "
                 "relative to data.root; empty: data.classes, else indices");
  SOFTVIT_OPTION(data.shuffle_buffer, "webdataset training: samples in each reader stream's shuffle buffer");
  SOFTVIT_OPTION(data.shard_streams, "webdataset: reader streams per process (batch k from stream k mod S)");
  SOFTVIT_OPTION(data.synthetic_samples, "synthetic: images per split");
  SOFTVIT_OPTION(data.synthetic_size, "synthetic: image height and width");
  SOFTVIT_OPTION(data.synthetic_classes, "synthetic: number of classes");
  SOFTVIT_OPTION(data.channels, "channels fed to the model: 1 | 3; 0: the source's own");
  SOFTVIT_OPTION(data.scale_16bit, "16-bit images to 8 bits: full (x/257) | minmax (per image)");
  SOFTVIT_OPTION(data.dicom.window,
                 "DICOM to 8 bits: auto (the file's VOI LUT, else its Window Center/Width, else min-max "
                 "of the rescaled values) | minmax | {center: C, width: W} in rescaled units (CT: HU)");
  SOFTVIT_OPTION(data.dicom.frames, "DICOM files of several frames: first (use frame 1) | error");
  SOFTVIT_OPTION(data.roi_decode,
                 "JPEG: decode only the region a crop keeps, scaled in the DCT domain to no less than the "
                 "crop's output size (faster); false: decode whole images");
  SOFTVIT_OPTION(data.train_transforms,
                 "train transforms, e.g. [\"random_resized_crop(size=224)\", \"hflip(p=0.5)\"]");
  SOFTVIT_OPTION(data.eval_transforms,
                 "eval transforms, e.g. [\"resize(size=256)\", \"center_crop(size=224)\"]");
  SOFTVIT_OPTION(data.mixup, "train: mixup Beta alpha; 0: off");
  SOFTVIT_OPTION(data.cutmix, "train: cutmix Beta alpha; 0: off");
  SOFTVIT_OPTION(data.mixup_prob, "train: probability of mixing a batch");
  SOFTVIT_OPTION(data.mixup_switch_prob, "train: probability of cutmix when both are on");
  SOFTVIT_OPTION(data.workers, "loader worker threads; 0: all cores");
  SOFTVIT_OPTION(data.prefetch, "batches prepared ahead; 0: two per worker");
  SOFTVIT_OPTION(data.sampler, "train order: random | balanced (classes equally often) | repeated");
  SOFTVIT_OPTION(data.repeats, "repeated sampler: augmented copies of each image per epoch");
  SOFTVIT_OPTION(data.on_error,
                 "unreadable sample: stop (error) | skip (training: log and replace by another; evaluation: "
                 "log, leave out and list)");

  SOFTVIT_OPTION(train.epochs, "passes over the training split");
  SOFTVIT_OPTION(train.batch_size, "images per process and micro-batch");
  SOFTVIT_OPTION(train.accum_steps, "micro-batches accumulated per optimizer step");
  SOFTVIT_OPTION(train.eval_batch_size, "images per evaluation batch");
  SOFTVIT_OPTION(train.loss, "ce (softmax cross-entropy) | bce (multi-label, one sigmoid per class)");
  SOFTVIT_OPTION(train.label_smoothing, "label smoothing of the cross-entropy");
  SOFTVIT_OPTION(train.class_weights, "loss weight per class; empty: equal");
  SOFTVIT_OPTION(train.class_weighting, "none | inverse_frequency (from the train split)");
  SOFTVIT_OPTION(train.clip_grad, "clip gradients to this global norm; 0: off");
  SOFTVIT_OPTION(train.precision, "fp32 | bf16 (autocast on CUDA; weights stay fp32)");
  SOFTVIT_OPTION(train.ema_decay, "decay of the weight EMA evaluated beside the model; 0: off");
  SOFTVIT_OPTION(
      train.ema_horizon_epochs,
      "weight EMA by its horizon instead: the decay 1 - 1/(this x steps per epoch); 0: use ema_decay");
  SOFTVIT_OPTION(train.on_collapse,
                 "training loss at chance for a whole epoch, or val top-1 back at chance: warn | stop");
  SOFTVIT_OPTION(train.early_stop_patience,
                 "stop after this many epochs without a better best metric; 0: off");
  SOFTVIT_OPTION(train.cuda_graph, "CUDA: replay each training step as one CUDA graph (accum_steps 1)");
  SOFTVIT_OPTION(train.channels_last, "CUDA: conv weights and input batches in channels-last layout");

  SOFTVIT_OPTION(checkpoint.best_metric,
                 "metric of best.pt: val_top1 | val_loss | val_auroc (macro one-vs-rest) | ema_val_top1 | "
                 "ema_val_loss | ema_val_auroc");
  SOFTVIT_OPTION(checkpoint.keep_top_k, "also keep the k best epochs as checkpoints/epoch_NNN.pt");

  SOFTVIT_OPTION(optim.name, "optimizer: adamw | sgd");
  SOFTVIT_OPTION(optim.lr, "peak learning rate (for optim.lr_base_batch images, if set)");
  SOFTVIT_OPTION(optim.lr_base_batch, "scale lr by global batch / this (e.g. 1024); 0: no scaling");
  SOFTVIT_OPTION(optim.decay_pos_embed, "apply weight decay to position embeddings");
  SOFTVIT_OPTION(optim.fused,
                 "AdamW through PyTorch's fused multi-tensor kernel (same maths, fewer launches)");
  SOFTVIT_OPTION(optim.weight_decay, "decoupled weight decay (not on biases, norms, tokens)");
  SOFTVIT_OPTION(optim.betas, "AdamW betas; SGD uses the first as momentum");
  SOFTVIT_OPTION(optim.eps, "AdamW epsilon");

  SOFTVIT_OPTION(schedule.name, "learning-rate schedule after warm-up: cosine | step | constant");
  SOFTVIT_OPTION(schedule.decay_epochs, "step: epochs at which the lr is multiplied by decay_rate");
  SOFTVIT_OPTION(schedule.decay_rate, "step: the factor");
  SOFTVIT_OPTION(schedule.warmup_epochs, "linear warm-up length in epochs (may be fractional)");
  SOFTVIT_OPTION(schedule.warmup_lr, "learning rate at the first step");
  SOFTVIT_OPTION(schedule.min_lr, "floor of the cosine decay");

  SOFTVIT_OPTION(eval.threshold, "softvit eval: a score >= threshold calls a sample positive");
  SOFTVIT_OPTION(eval.positive_class,
                 "binary tasks: the class whose sensitivity, threshold and ROC are reported, by name "
                 "(data.classes) or index");
  SOFTVIT_OPTION(eval.bootstrap, "softvit eval: bootstrap resamples for the 95% intervals; 0: none");
  SOFTVIT_OPTION(eval.bootstrap_seed, "softvit eval: seed of the bootstrap resampling");
  SOFTVIT_OPTION(eval.ece_bins, "softvit eval: equal-width confidence bins of the calibration error");
  SOFTVIT_OPTION(eval.tta,
                 "test-time augmentation of softvit eval and each epoch's validation: none | hflip (the mean "
                 "of the image's and its mirror image's probabilities)");
  SOFTVIT_OPTION(dist.backend, "several processes: auto (nccl on CUDA, gloo on the CPU) | nccl | gloo");
  SOFTVIT_OPTION(dist.connect_timeout_s,
                 "several processes: seconds to reach the store and every rank at the start");
  SOFTVIT_OPTION(dist.timeout_s, "several processes: seconds one collective may take before the job ends");
  SOFTVIT_OPTION(dist.bucket_mb, "several processes: MiB per gradient all-reduce bucket");
  SOFTVIT_OPTION(dist.find_unused_parameters,
                 "several processes: allow parameters without a gradient in a step");
  SOFTVIT_OPTION(
      dist.sync_batchnorm,
      "several processes: BatchNorm statistics over every process's batch (SyncBatchNorm; SOFT's conv stem)");
  return s;
}

#undef SOFTVIT_OPTION

}  // namespace

const Schema& schema() {
  static const Schema instance = build_schema();
  return instance;
}

}  // namespace softvit
