#include <cmath>

#include "catch.h"
#include "train/schedule.h"

using namespace softvit;

TEST_CASE("schedule: linear warm-up then cosine to the floor", "[train][schedule]") {
  LrSchedule s;
  s.base_lr = 1e-3;
  s.warmup_lr = 1e-6;
  s.min_lr = 1e-5;
  s.warmup_steps = 10;
  s.total_steps = 110;
  CHECK(s.at(0) == Approx(1e-6));
  CHECK(s.at(5) == Approx(1e-6 + 0.5 * (1e-3 - 1e-6)));
  CHECK(s.at(10) == Approx(1e-3));                        // peak right after warm-up
  CHECK(s.at(60) == Approx(1e-5 + 0.5 * (1e-3 - 1e-5)));  // half-way: the mean
  CHECK(s.at(35) == Approx(1e-5 + 0.5 * (1e-3 - 1e-5) * (1 + std::cos(M_PI * 0.25))));
  CHECK(s.at(110) == Approx(1e-5));
  CHECK(s.at(500) == Approx(1e-5));  // never below the floor
  for (int64_t step = 10; step < 110; ++step) CHECK(s.at(step + 1) <= s.at(step));
}

TEST_CASE("schedule: constant after warm-up and no warm-up starts at the peak", "[train][schedule]") {
  LrSchedule s;
  s.kind = "constant";
  s.base_lr = 0.1;
  s.warmup_steps = 0;
  s.total_steps = 50;
  CHECK(s.at(0) == Approx(0.1));
  CHECK(s.at(49) == Approx(0.1));
}

TEST_CASE("schedule: step decay multiplies at each milestone and stops at the floor", "[train][schedule]") {
  LrSchedule s;
  s.kind = "step";
  s.base_lr = 1e-3;
  s.min_lr = 2e-6;
  s.warmup_steps = 0;
  s.total_steps = 100;
  s.milestones = {50, 75, 90};
  CHECK(s.at(49) == Approx(1e-3));
  CHECK(s.at(50) == Approx(1e-4));
  CHECK(s.at(74) == Approx(1e-4));
  CHECK(s.at(75) == Approx(1e-5));
  CHECK(s.at(95) == Approx(2e-6));  // 1e-6 would be below the floor
}
