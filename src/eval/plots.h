// The PNG figures of an evaluation and of a training run, drawn with OpenCV:
//  - the confusion matrix as a heat map (white to dark blue by count) with the counts in the cells,
//    and normalised by row (fractions of each true class);
//  - one-vs-rest ROC curves per class (per label for multi-label), AUC in the legend;
//  - training curves of a run folder (loss, validation accuracy, learning rate per epoch), read
//    from its summary.csv.
#pragma once
#include <opencv2/core.hpp>

#include <string>
#include <vector>

#include "eval/metrics.h"
#include "eval/metrics_confusion.h"

namespace softvit {

// `names` may be empty (class indices are used). `cells`, when given, receives the rectangle of
// the cell grid (row t, column p is the t-th / p-th of classes equal parts of it).
cv::Mat draw_confusion_matrix(const ConfusionMatrix& matrix, const std::vector<std::string>& names,
                              const std::string& title = "Confusion matrix", cv::Rect* cells = nullptr);

// The same normalised by row: each cell is the fraction of the true class's samples (the
// diagonal is each class's recall), coloured on a fixed 0..1 scale.
cv::Mat draw_confusion_matrix_normalised(const ConfusionMatrix& matrix, const std::vector<std::string>& names,
                                         const std::string& title = "Confusion matrix, normalised by row",
                                         cv::Rect* cells = nullptr);

// The cell colour for a count, as a fraction of the largest count in [0, 1]: light to dark.
cv::Scalar heat_colour(double fraction);

// Binary problems show the positive class's curve only; the others one curve per class.
cv::Mat draw_roc_curves(const MetricReport& report, const std::string& title = "ROC curves");

struct TrainingHistory {
  std::vector<double> epoch, train_loss, val_loss, lr;
  std::vector<double> ema_val_loss;  // empty when the file has no such column
  // Validation scores in [0, 1] found in the file (val_top1 and any of val_top5, val_auroc,
  // val_balanced_accuracy, ema_val_top1, ema_val_auroc), by column name. An empty field (an AUROC
  // undefined for that epoch, no EMA) reads as NaN and is left out of the plot.
  std::vector<std::pair<std::string, std::vector<double>>> val_scores;
};

// Reads a run's summary.csv by column name; throws DataError naming the file, line or column.
TrainingHistory read_training_history(const std::string& summary_csv);
cv::Mat draw_training_curves(const TrainingHistory& history, const std::string& title = "");

// Writes run_dir/curves.png from run_dir/summary.csv; throws on failure. `subject` (model,
// validation split and its size) goes into the title after the folder's name.
void plot_training_curves(const std::string& run_dir, const std::string& subject = "");
// The same for the trainer after each epoch: a failure is logged as a warning, never thrown,
// so that a plot cannot end a training run.
void refresh_training_curves(const std::string& run_dir, const std::string& subject = "") noexcept;

}  // namespace softvit
