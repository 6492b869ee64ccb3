// The pieces under the WebDataset source: tar reading and writing through libarchive, brace
// patterns, grouping members into samples by key, labels from .cls or .json, class lists.
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "data/webdataset/class_list.h"
#include "data/webdataset/shard_patterns.h"
#include "data/webdataset/shard_reader.h"
#include "data/webdataset/tar_reader.h"
#include "shard_test_util.h"

using namespace softvit;
using testing::Members;
using testing::text_bytes;
using testing::write_shard;

namespace {

std::vector<ShardSample> read_all(const std::string& path, const LabelRule& rule, bool images = true) {
  ShardReader reader(path, rule, images);
  std::vector<ShardSample> out;
  ShardSample s;
  while (reader.next(s)) out.push_back(s);
  return out;
}

}  // namespace

TEST_CASE("webdataset: tar and tar.gz members read back as written", "[data][webdataset]") {
  TempDir dir;
  const std::vector<uint8_t> big(70000, 7);  // more than one 64 KiB read block
  for (const bool gzip : {false, true}) {
    const std::string path = dir.path(gzip ? "a.tar.gz" : "a.tar");
    write_shard(path, {{"x/one.txt", text_bytes("hello")}, {"empty.bin", {}}, {"big.bin", big}}, gzip);
    TarReader reader(path);
    TarMember m;
    REQUIRE(reader.next(m));
    CHECK(m.name == "x/one.txt");
    CHECK(reader.read() == text_bytes("hello"));
    REQUIRE(reader.next(m));
    CHECK(m.name == "empty.bin");
    CHECK(reader.read().empty());
    REQUIRE(reader.next(m));  // big.bin, read
    CHECK(reader.read() == big);
    CHECK_FALSE(reader.next(m));
  }
  // The same members give the same bytes (no time stamps), so packing is reproducible.
  write_shard(dir.path("b.tar.gz"), {{"x/one.txt", text_bytes("hello")}, {"empty.bin", {}}, {"big.bin", big}},
              true);
  auto bytes_of = [](const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  CHECK(bytes_of(dir.path("a.tar.gz")) == bytes_of(dir.path("b.tar.gz")));
  CHECK_THROWS_WITH(TarReader(dir.path("missing.tar")), Catch::Contains("missing.tar"));
}

TEST_CASE("webdataset: a truncated or corrupt archive is an error naming the file", "[data][webdataset]") {
  TempDir dir;
  unsigned seed = 1;
  for (const bool gzip : {false, true}) {
    const std::string path = dir.path(gzip ? "t.tar.gz" : "t.tar");
    Members members;  // incompressible "images", so that half a .tar.gz still holds some samples
    for (int i = 0; i < 40; ++i) {
      std::vector<uint8_t> noise(4000);
      for (auto& b : noise) b = static_cast<uint8_t>(rand_r(&seed));
      members.push_back({cat("s", i, ".jpg"), noise});
      members.push_back({cat("s", i, ".cls"), text_bytes("1")});
    }
    write_shard(path, members, gzip);
    const auto size = std::filesystem::file_size(path);
    std::filesystem::resize_file(path, size / 2);
    ShardReader reader(path, LabelRule{}, true);
    ShardSample s;
    int read = 0;
    CHECK_THROWS_WITH(([&] {
                        while (reader.next(s)) ++read;
                      })(),
                      Catch::Contains(path));
    CHECK(read > 0);  // what came before the damage was read
    CHECK(read < 40);
  }
  const std::string garbage = dir.write("g.tar", std::string(3000, 'x'));
  CHECK_THROWS_WITH(([&] { read_all(garbage, LabelRule{}); })(), Catch::Contains("g.tar"));
}

TEST_CASE("webdataset: brace ranges and lists expand as the shell does", "[data][webdataset]") {
  CHECK(expand_braces("a-{000000..000002}.tar") ==
        std::vector<std::string>{"a-000000.tar", "a-000001.tar", "a-000002.tar"});
  CHECK(expand_braces("{8..10}") == std::vector<std::string>{"8", "9", "10"});
  CHECK(expand_braces("{08..10}") == std::vector<std::string>{"08", "09", "10"});
  CHECK(expand_braces("{a,b}-{1..2}") == std::vector<std::string>{"a-1", "a-2", "b-1", "b-2"});
  CHECK(expand_braces("x{a,b{c,d}}") == std::vector<std::string>{"xa", "xbc", "xbd"});
  CHECK(expand_braces("plain{x}.tar") == std::vector<std::string>{"plain{x}.tar"});
  CHECK(expand_braces("open{1..2") == std::vector<std::string>{"open{1..2"});
}

TEST_CASE("webdataset: shard patterns resolve to files, with {split}, braces and globs",
          "[data][webdataset]") {
  TempDir dir;
  for (const std::string name :
       {"d-train-000000.tar", "d-train-000001.tar", "d-train-000002.tar.gz", "d-val-000000.tar", "other.tar"})
    dir.write(name, "");
  const std::string root = dir.root.string();
  CHECK(resolve_shards(root, {"d-{split}-{000000..000001}.tar"}, "train") ==
        std::vector<std::string>{root + "/d-train-000000.tar", root + "/d-train-000001.tar"});
  CHECK(resolve_shards(root, {"d-{split}-*.tar*"}, "train").size() == 3);  // sorted, with the .gz
  CHECK(resolve_shards(root, {"d-{split}-*"}, "val") == std::vector<std::string>{root + "/d-val-000000.tar"});
  CHECK(resolve_shards("/elsewhere", {root + "/other.tar"}, "train") ==
        std::vector<std::string>{root + "/other.tar"});
  CHECK_THROWS_WITH(
      resolve_shards(root, {"d-{split}-{000000..000003}.tar"}, "train"),
      Catch::Contains("d-train-000002.tar ") && Catch::Contains("does not exist"));  // it is .tar.gz
  CHECK_THROWS_WITH(resolve_shards(root, {"d-{split}-*.tar"}, "test"),
                    Catch::Contains("matches no file") && Catch::Contains("'test'"));
  CHECK_THROWS_WITH(resolve_shards(root, {"d-train-000000.tar", "d-train-*.tar"}, "train"),
                    Catch::Contains("named twice"));
  CHECK_THROWS_AS(resolve_shards(root, {}, "train"), ConfigError);
}

TEST_CASE("webdataset: members that share a key are one sample", "[data][webdataset]") {
  TempDir dir;
  const auto png = testing::png_of(5);
  write_shard(dir.path("g.tar"), {{"dir/a.jpg", png},  // any image extension; bytes as stored
                                  {"dir/a.cls", text_bytes(" 2\n")},
                                  {"dir/a.seg.png", text_bytes("a mask: not the image")},
                                  {"dir/a.txt", text_bytes("ignored")},
                                  {"b.PNG", png},
                                  {"b.cls", text_bytes("1")},
                                  {"README", text_bytes("no extension: no sample")},
                                  {"c.cls", text_bytes("0")},  // no image
                                  {"d.webp", png},             // no label
                                  {"e.png", png},
                                  {"e.cls", text_bytes("cat")}});  // not an index
  const auto all = read_all(dir.path("g.tar"), LabelRule{});
  REQUIRE(all.size() == 5);
  CHECK(all[0].key == "dir/a");
  CHECK(all[0].image == png);
  CHECK(all[0].image_extension == "jpg");
  CHECK(all[0].label == 2);
  CHECK(all[0].problem.empty());
  CHECK(all[1].key == "b");
  CHECK(all[1].label == 1);
  CHECK(all[1].problem.empty());
  CHECK(all[2].problem.find("no image") != std::string::npos);
  CHECK(all[3].problem.find("no .cls") != std::string::npos);
  CHECK(all[4].problem.find("'cat'") != std::string::npos);
  // The listing pass reads labels but not images.
  const auto listed = read_all(dir.path("g.tar"), LabelRule{}, /*images=*/false);
  CHECK(listed[0].image.empty());
  CHECK(listed[0].label == 2);
  // A label at or above the class count.
  LabelRule three;
  three.classes = 2;
  CHECK(read_all(dir.path("g.tar"), three)[0].problem.find("label 2 is out of range 0..1") !=
        std::string::npos);
}

TEST_CASE("webdataset: labels from a field of the .json member, as indices or class names",
          "[data][webdataset]") {
  TempDir dir;
  const auto png = testing::png_of(1);
  write_shard(dir.path("j.tar"), {{"a.png", png},
                                  {"a.json", text_bytes(R"({"label": 1, "caption": "x"})")},
                                  {"b.png", png},
                                  {"b.json", text_bytes(R"({"label": "dog"})")},
                                  {"c.png", png},
                                  {"c.json", text_bytes(R"({"other": 1})")},
                                  {"d.png", png},
                                  {"d.json", text_bytes("not json")}});
  LabelRule rule;
  rule.json_field = "label";
  rule.class_names = {"cat", "dog"};
  rule.classes = 2;
  const auto all = read_all(dir.path("j.tar"), rule);
  REQUIRE(all.size() == 4);
  CHECK(all[0].label == 1);
  CHECK(all[1].label == 1);
  CHECK(all[1].problem.empty());
  CHECK(all[2].problem.find("no field 'label'") != std::string::npos);
  CHECK(all[3].problem.find("not a JSON object") != std::string::npos);
  rule.class_names.clear();  // names without class names to map them
  CHECK(read_all(dir.path("j.tar"), rule)[1].problem.find("no class names are given") != std::string::npos);
}

TEST_CASE("webdataset: class lists from .txt, .json and a .tsv with an index column", "[data][webdataset]") {
  TempDir dir;
  CHECK(read_class_list(dir.write("c.txt", "tench\nEnglish springer\n\n")) ==
        std::vector<std::string>{"tench", "English springer"});
  CHECK(read_class_list(dir.write("c.json", R"(["a", "b"])")) == std::vector<std::string>{"a", "b"});
  CHECK(read_class_list(dir.write("c.tsv", "index\twnid\tname\n0\tn1\ttench\n1\tn2\tgolf ball\n")) ==
        std::vector<std::string>{"tench", "golf ball"});
  CHECK_THROWS_WITH(read_class_list(dir.write("bad.tsv", "index\tname\n1\ttench\n")),
                    Catch::Contains("bad.tsv:2") && Catch::Contains("expected 0"));
  CHECK_THROWS_WITH(read_class_list(dir.path("none.txt")), Catch::Contains("none.txt"));
  write_class_list(dir.path("out.txt"), {"x", "y z"});
  CHECK(read_class_list(dir.path("out.txt")) == std::vector<std::string>{"x", "y z"});
}
