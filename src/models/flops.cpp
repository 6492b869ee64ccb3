#include "models/flops.h"

#include <ATen/record_function.h>

#include <cstring>

namespace softvit {
namespace {

struct CounterState {
  MacCount count;
  int counted_depth = 0;  // > 0 while inside an operator already counted
  int newton_depth = 0;
};

thread_local CounterState* active = nullptr;

struct Frame : at::ObserverContext {
  explicit Frame(bool newton) : newton(newton) {}
  bool newton;
};

std::vector<int64_t> shape(const c10::IValue& v) {
  if (!v.isTensor()) return {};
  const auto s = v.toTensor().sizes();
  return {s.begin(), s.end()};
}

int64_t product(const std::vector<int64_t>& v, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to && i < v.size(); ++i) p *= v[i];
  return p;
}

std::vector<int64_t> int_list(const c10::IValue& v) {
  if (v.isIntList()) return v.toIntVector();
  return {};
}

// MACs of a convolution from its arguments (input, weight, bias, stride, padding, dilation,
// transposed, output_padding, groups).
int64_t convolution_macs(c10::ArrayRef<const c10::IValue> in) {
  const auto x = shape(in[0]), w = shape(in[1]);
  if (x.size() < 3 || w.size() != x.size()) return 0;
  const size_t spatial = x.size() - 2;
  const auto stride = int_list(in[3]), padding = int_list(in[4]), dilation = int_list(in[5]);
  const bool transposed = in[6].isBool() && in[6].toBool();
  auto at = [](const std::vector<int64_t>& v, size_t i, int64_t fallback) {
    return v.empty() ? fallback : v[std::min(i, v.size() - 1)];
  };
  const int64_t kernel = product(w, 2, w.size());
  if (transposed)  // every input element meets Cout/groups x kernel weights
    return product(x, 0, x.size()) * w[1] * kernel;
  int64_t out = x[0] * w[0];
  for (size_t i = 0; i < spatial; ++i)
    out *=
        (x[2 + i] + 2 * at(padding, i, 0) - at(dilation, i, 1) * (w[2 + i] - 1) - 1) / at(stride, i, 1) + 1;
  return out * w[1] * kernel;
}

// MACs of an arithmetic-carrying operator, or -1 for any other operator.
int64_t macs_of(const char* name, c10::ArrayRef<const c10::IValue> in) {
  auto is = [name](const char* n) { return std::strcmp(name, n) == 0; };
  if (is("aten::mm")) {
    const auto a = shape(in[0]), b = shape(in[1]);
    return a.size() == 2 && b.size() == 2 ? a[0] * a[1] * b[1] : 0;
  }
  if (is("aten::addmm")) {
    const auto a = shape(in[1]), b = shape(in[2]);
    return a.size() == 2 && b.size() == 2 ? a[0] * a[1] * b[1] : 0;
  }
  if (is("aten::bmm") || is("aten::baddbmm") || is("aten::addbmm")) {
    const size_t first = is("aten::bmm") ? 0 : 1;
    const auto a = shape(in[first]), b = shape(in[first + 1]);
    return a.size() == 3 && b.size() == 3 ? a[0] * a[1] * a[2] * b[2] : 0;
  }
  if (is("aten::mv")) return product(shape(in[0]), 0, 2);
  if (is("aten::addmv")) return product(shape(in[1]), 0, 2);
  if (is("aten::dot") || is("aten::vdot")) return product(shape(in[0]), 0, 1);
  if (is("aten::convolution") || is("aten::_convolution")) return convolution_macs(in);
  if (is("aten::scaled_dot_product_attention")) {
    const auto q = shape(in[0]), k = shape(in[1]), v = shape(in[2]);
    if (q.size() < 2 || k.size() < 2 || v.size() < 2) return 0;
    const int64_t batch = product(q, 0, q.size() - 2), l = q[q.size() - 2], e = q.back();
    return batch * l * k[k.size() - 2] * (e + v.back());
  }
  return -1;
}

std::unique_ptr<at::ObserverContext> on_start(const at::RecordFunction& fn) {
  if (!active) return nullptr;
  const char* name = fn.name();
  if (std::strcmp(name, "softvit::newton_pinv") == 0) {
    ++active->newton_depth;
    return std::make_unique<Frame>(true);
  }
  const int64_t macs = macs_of(name, fn.inputs());
  if (macs < 0) return nullptr;
  if (active->counted_depth++ == 0) {
    active->count.total += macs;
    if (active->newton_depth > 0) active->count.newton += macs;
  }
  return std::make_unique<Frame>(false);
}

void on_end(const at::RecordFunction&, at::ObserverContext* context) {
  if (!active || !context) return;
  if (static_cast<Frame*>(context)->newton)
    --active->newton_depth;
  else
    --active->counted_depth;
}

}  // namespace

MacCount count_macs(const std::function<void()>& fn) {
  TORCH_CHECK(!active, "count_macs does not nest");
  CounterState state;
  struct Observer {  // removes itself however fn ends
    explicit Observer(CounterState* s) {
      active = s;
      handle = at::addThreadLocalCallback(at::RecordFunctionCallback(on_start, on_end).needsInputs(true));
    }
    ~Observer() {
      at::removeCallback(handle);
      active = nullptr;
    }
    at::CallbackHandle handle;
  } observer(&state);
  fn();
  return state.count;
}

MacCount count_model_macs(Model& model, int64_t in_chans, int64_t img_size) {
  const bool was_training = model.is_training();
  model.eval();
  const auto count = count_macs([&] {
    c10::InferenceMode inference;
    model.forward(torch::zeros({1, in_chans, img_size, img_size}));
  });
  model.train(was_training);
  return count;
}

}  // namespace softvit
