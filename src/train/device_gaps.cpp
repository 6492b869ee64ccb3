#include "train/device_gaps.h"

#include <c10/core/impl/VirtualGuardImpl.h>

namespace softvit {

std::unique_ptr<c10::Event> DeviceGaps::record_now() const {
  c10::impl::VirtualGuardImpl guard(c10::DeviceType::CUDA);
  // BACKEND_DEFAULT: a CUDA event with timing (PYTORCH_DEFAULT disables it).
  auto event = std::make_unique<c10::Event>(c10::DeviceType::CUDA, c10::EventFlag::BACKEND_DEFAULT);
  event->record(guard.getStream(device_));
  return event;
}

void DeviceGaps::epoch_started() {
  if (active()) last_end_ = record_now();
}

void DeviceGaps::batch_arrived() {
  if (!active() || !last_end_) return;
  pending_.emplace_back(std::move(last_end_), record_now());
}

void DeviceGaps::step_done() {
  if (active()) last_end_ = record_now();
}

double DeviceGaps::take() {
  double ms = 0;
  for (auto& [end, begin] : pending_) {
    begin->synchronize();
    ms += end->elapsedTime(*begin);
  }
  pending_.clear();
  return ms / 1000.0;
}

}  // namespace softvit
