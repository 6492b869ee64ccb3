// How long the GPU sat between training steps: from the end of one step's work on the stream to
// the start of the next batch's (its copy to the device and normalisation included), by CUDA
// events read where the trainer synchronises anyway (log points). The host's data wait, the time
// it blocks in the loader, overstates the GPU's idling whenever the host has run ahead of the GPU:
// after an epoch boundary, for instance, the prefetched batches let it queue several steps at once
// and then wait for the loader while the GPU still works through them. No-op on the CPU.
#pragma once
#include <c10/core/Device.h>
#include <c10/core/Event.h>

#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace softvit {

class DeviceGaps {
 public:
  explicit DeviceGaps(c10::Device device) : device_(device) {}

  bool active() const { return device_.is_cuda(); }
  // The epoch's (or a resumed run's) first batch is timed from here.
  void epoch_started();
  // The loader has handed over a batch: its device work is queued.
  void batch_arrived();
  // The step's work is queued.
  void step_done();
  // Seconds the device spent between steps since the last take() (waits for those events).
  double take();

 private:
  std::unique_ptr<c10::Event> record_now() const;

  c10::Device device_;
  std::unique_ptr<c10::Event> last_end_;
  std::vector<std::pair<std::unique_ptr<c10::Event>, std::unique_ptr<c10::Event>>> pending_;
};

}  // namespace softvit
