// Class names in label order from a file (data.classes_file; softvit data pack writes one):
// .txt, one name per line; .json, a list of names; .tsv or .csv, a header row and one row per
// class, the names in the column "name" (else the last column), and, when there is a column
// "index", the rows must be numbered 0, 1, ... in order (Imagenette's classes.tsv).
#pragma once
#include <string>
#include <vector>

namespace softvit {

// Throws DataError naming the file (and line) when it cannot be read or is malformed.
std::vector<std::string> read_class_list(const std::string& path);

// Writes `classes` one per line (the .txt form).
void write_class_list(const std::string& path, const std::vector<std::string>& classes);

}  // namespace softvit
