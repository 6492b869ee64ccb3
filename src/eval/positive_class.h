// eval.positive_class of a binary task: the class whose sensitivity, specificity, threshold and ROC
// curve are reported. In BreastMNIST class 1 is normal/benign, so an index alone invites reporting
// the "sensitivity" of the benign class; naming the class (data.classes) makes it readable.
#pragma once
#include <string>
#include <vector>

namespace softvit {

// The index of `value` among `classes`: a class name first, else an index below classes.size().
// Throws ConfigError naming the value and the classes.
int positive_class_index(const std::string& value, const std::vector<std::string>& classes);

}  // namespace softvit
