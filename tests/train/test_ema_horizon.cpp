// The EMA horizon: the decay from epochs, the warning for a decay that outlasts the run, and the
// config rules around it.
#include <cmath>

#include "catch.h"
#include "core/config.h"
#include "core/error.h"
#include "train/ema_horizon.h"

using namespace softvit;

TEST_CASE("ema horizon: a horizon in epochs gives the decay 1 - 1/(epochs x steps)", "[train][ema]") {
  TrainSection t;
  t.ema_horizon_epochs = 8;
  const double decay = ema_decay_of(t, 74);
  CHECK(1.0 / (1.0 - decay) == Approx(8 * 74).epsilon(1e-12));
  t.ema_horizon_epochs = 0;
  t.ema_decay = 0.999;
  CHECK(ema_decay_of(t, 74) == 0.999);
  t.ema_decay = 0;
  CHECK(ema_decay_of(t, 74) == 0);
}

TEST_CASE("ema horizon: a decay whose horizon is over a third of the run is warned about", "[train][ema]") {
  // The case of the Imagenette runs: 0.9998 is 5000 steps, 80 epochs of 74 steps are 5920.
  const std::string warning = ema_horizon_warning(0.9998, 74, 80);
  CHECK_THAT(warning, Catch::Matchers::Contains("5000 steps"));
  CHECK_THAT(warning, Catch::Matchers::Contains("train.ema_horizon_epochs"));
  // A third of 5920 steps is 1973.3: a horizon of 1974 steps is warned about, 1973 is not.
  CHECK_FALSE(ema_horizon_warning(1 - 1.0 / 1974, 74, 80).empty());
  CHECK(ema_horizon_warning(1 - 1.0 / 1973, 74, 80).empty());
  CHECK(ema_horizon_warning(0, 74, 80).empty());
  // A horizon given in epochs is to be lowered, not replaced.
  CHECK_THAT(ema_horizon_warning(1 - 1.0 / (74 * 40), 74, 80, true),
             Catch::Matchers::Contains("Lower train.ema_horizon_epochs"));
}

TEST_CASE("ema horizon: the config takes one of decay and horizon, and ranks by EMA with either",
          "[train][ema][config]") {
  CHECK_THROWS_AS(parse_config("train: {ema_decay: 0.99, ema_horizon_epochs: 5}", "t"), ConfigError);
  CHECK_THROWS_AS(parse_config("train: {ema_horizon_epochs: -1}", "t"), ConfigError);
  CHECK_NOTHROW(parse_config("train: {ema_horizon_epochs: 5}\ncheckpoint: {best_metric: ema_val_top1}", "t"));
  CHECK_THROWS_AS(parse_config("checkpoint: {best_metric: ema_val_top1}", "t"), ConfigError);
}
