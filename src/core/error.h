// Typed errors. Each carries what it concerns (file, key, step, sample) in its message; the CLI
// prints the message on one line and exits non-zero.
#pragma once
#include <stdexcept>
#include <string>

namespace softvit {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A config file or override is wrong: unknown key, wrong type, bad value, include loop.
class ConfigError : public Error {
 public:
  using Error::Error;
};

// Input data is missing, truncated or malformed.
class DataError : public Error {
 public:
  using Error::Error;
};

// A checkpoint cannot be read or does not fit the model.
class CheckpointError : public Error {
 public:
  using Error::Error;
};

// Training cannot continue (NaN loss, ...).
class TrainError : public Error {
 public:
  using Error::Error;
};

}  // namespace softvit
