// The CSV and IDX loaders and the seeded split (no `hpo` process involved).
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "data/csv_dataset.hpp"
#include "data/idx_dataset.hpp"
#include "data/load_dataset.hpp"
#include "data/split.hpp"
#include "hpo/error.hpp"
#include "hpo_process.hpp"

namespace hpo::cli {
namespace {

namespace fs = std::filesystem;

class DataLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    folder_ = fs::temp_directory_path() /
              ("hpo-data-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(folder_);
    fs::create_directories(folder_);
  }
  void TearDown() override { fs::remove_all(folder_); }

  fs::path write(const std::string& name, const std::string& bytes) const {
    std::ofstream(folder_ / name, std::ios::binary) << bytes;
    return folder_ / name;
  }
  fs::path write_gzip(const std::string& name, const std::string& bytes) const {
    gzFile file = gzopen((folder_ / name).c_str(), "wb");
    gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(file);
    return folder_ / name;
  }
  // The message of the hpo::ValueError that `load` throws.
  template <typename Load>
  static std::string error_of(Load load) {
    try {
      load();
    } catch (const ValueError& error) {
      return error.what();
    }
    ADD_FAILURE() << "no hpo::ValueError";
    return "";
  }

  fs::path folder_;
};

TEST_F(DataLoaderTest, CsvTargetByNameAndNumericClasses) {
  const fs::path path = write("t.csv", "a,label,b\n1,10,2\n3,9,4\n5.5,10,-6e-1\n");
  const Dataset data = read_csv_dataset(path, std::string("label"));
  EXPECT_EQ(data.feature_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(data.target_name, "label");
  ASSERT_EQ(data.n_rows(), 3u);
  EXPECT_EQ(data.features, (std::vector<float>{1, 2, 3, 4, 5.5f, -0.6f}));
  EXPECT_EQ(data.class_names, (std::vector<std::string>{"9", "10"}));  // numeric order
  EXPECT_EQ(data.labels, (std::vector<int>{1, 0, 1}));
  EXPECT_EQ(data.targets, (std::vector<double>{10, 9, 10}));
}

TEST_F(DataLoaderTest, CsvDefaultsToTheLastColumnAndReadsTextClasses) {
  const fs::path path = write("t.csv", "x,species\r\n1,setosa\r\n\r\n2,virginica\r\n3,setosa\r\n");
  const Dataset data = read_csv_dataset(path);
  EXPECT_EQ(data.target_name, "species");
  EXPECT_FALSE(data.has_numeric_targets());
  EXPECT_EQ(data.class_names, (std::vector<std::string>{"setosa", "virginica"}));
  EXPECT_EQ(data.labels, (std::vector<int>{0, 1, 0}));
}

TEST_F(DataLoaderTest, CsvQuotedFields) {
  const fs::path path = write("t.csv", "\"x, in cm\",\"say \"\"hi\"\"\",y\n \"1\" ,2,\"a,b\"\n");
  const Dataset data = read_csv_dataset(path);
  EXPECT_EQ(data.feature_names, (std::vector<std::string>{"x, in cm", "say \"hi\""}));
  EXPECT_EQ(data.class_names, (std::vector<std::string>{"a,b"}));
  EXPECT_EQ(data.features, (std::vector<float>{1, 2}));
}

TEST_F(DataLoaderTest, CsvGzipCompressed) {
  const fs::path path = write_gzip("t.csv.gz", "x,y\n1,0\n2,1\n");
  const Dataset data = read_csv_dataset(path);
  EXPECT_EQ(data.n_rows(), 2u);
  EXPECT_EQ(data.features, (std::vector<float>{1, 2}));
}

TEST_F(DataLoaderTest, CsvErrorsNameTheLineAndColumn) {
  EXPECT_EQ(error_of([&] { read_csv_dataset(write("a.csv", "x,y,z\n1,2,3\n4,oops,6\n"), std::string("z")); }),
            "'" + (folder_ / "a.csv").string() + "' line 3: column 'y': 'oops' is not a finite number");
  EXPECT_NE(error_of([&] { read_csv_dataset(write("b.csv", "x,y\n1,2\n3\n")); }).find("line 3: 1 fields, expected 2"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_csv_dataset(write("c.csv", "x,y\n1,2\n"), std::string("t")); })
                .find("line 1: no column named 't' (columns: x, y)"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_csv_dataset(write("d.csv", "x,y\nnan,1\n")); }).find("'nan' is not a finite number"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_csv_dataset(write("e.csv", "x,y\n1e39,1\n")); }).find("'1e39' is not a finite number"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_csv_dataset(write("f.csv", "x,y\n1,\n")); }).find("the target is empty"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_csv_dataset(write("g.csv", "x,\"y\n1,2\n")); }).find("no closing quote"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_csv_dataset(write("h.csv", "")); }).find("is empty"), std::string::npos);
  EXPECT_NE(error_of([&] { read_csv_dataset(write("i.csv", "x,y\n")); }).find("no data lines"), std::string::npos);
  EXPECT_NE(error_of([&] { read_csv_dataset(write("j.csv", "x,y,x\n1,2,3\n"), std::string("x")); })
                .find("appears more than once"),
            std::string::npos);
}

TEST_F(DataLoaderTest, UnreadableFiles) {
  EXPECT_NE(error_of([&] { read_csv_dataset(folder_ / "missing.csv"); }).find("No such file"), std::string::npos);
  EXPECT_NE(error_of([&] { read_csv_dataset(folder_); }).find("is a folder"), std::string::npos);
  std::string compressed;
  {
    const fs::path whole = write_gzip("whole.gz", std::string(100000, 'x'));
    std::ifstream in(whole, std::ios::binary);
    compressed.assign(std::istreambuf_iterator<char>(in), {});
  }
  const fs::path truncated = write("truncated.csv.gz", compressed.substr(0, compressed.size() / 2));
  EXPECT_NE(error_of([&] { read_csv_dataset(truncated); }).find("cannot read"), std::string::npos);
}

std::string big_endian(std::uint32_t value) {
  return {static_cast<char>(value >> 24), static_cast<char>(value >> 16), static_cast<char>(value >> 8),
          static_cast<char>(value)};
}

std::string idx_images(std::uint32_t n, std::uint32_t rows, std::uint32_t columns, unsigned char first) {
  std::string bytes = std::string("\0\0\x08\x03", 4) + big_endian(n) + big_endian(rows) + big_endian(columns);
  for (std::uint32_t i = 0; i < n * rows * columns; ++i) bytes += static_cast<char>(first + i);
  return bytes;
}

std::string idx_labels(const std::vector<unsigned char>& labels) {
  std::string bytes = std::string("\0\0\x08\x01", 4) + big_endian(static_cast<std::uint32_t>(labels.size()));
  for (unsigned char label : labels) bytes += static_cast<char>(label);
  return bytes;
}

TEST_F(DataLoaderTest, IdxFolderPlainAndCompressed) {
  write("train-images-idx3-ubyte", idx_images(2, 2, 3, 0));
  write_gzip("train-labels-idx1-ubyte.gz", idx_labels({7, 2}));
  write_gzip("t10k-images-idx3-ubyte.gz", idx_images(1, 2, 3, 100));
  write("t10k-labels-idx1-ubyte", idx_labels({11}));
  const Dataset data = read_idx_dataset(folder_);
  ASSERT_EQ(data.n_rows(), 3u);
  ASSERT_EQ(data.n_features(), 6u);
  EXPECT_EQ(data.feature_names.front(), "pixel_0");
  EXPECT_EQ(data.feature_names.back(), "pixel_5");
  EXPECT_EQ(data.row(1)[0], 6.0f);
  EXPECT_EQ(data.row(2)[5], 105.0f);
  EXPECT_EQ(data.class_names, (std::vector<std::string>{"2", "7", "11"}));
  EXPECT_EQ(data.targets, (std::vector<double>{7, 2, 11}));
  EXPECT_EQ(data.target_name, "label");
}

TEST_F(DataLoaderTest, IdxErrors) {
  EXPECT_NE(error_of([&] { read_idx_dataset(folder_); }).find("has no IDX file 'train-images-idx3-ubyte'"),
            std::string::npos);
  write("train-images-idx3-ubyte", idx_images(2, 2, 2, 0));
  write("train-labels-idx1-ubyte", idx_labels({1, 2, 3}));
  write("t10k-images-idx3-ubyte", idx_images(1, 2, 2, 0));
  write("t10k-labels-idx1-ubyte", idx_labels({1}));
  EXPECT_NE(error_of([&] { read_idx_dataset(folder_); }).find("holds 2 images but"), std::string::npos);
  write("train-labels-idx1-ubyte", "PK\x03\x04");
  EXPECT_NE(error_of([&] { read_idx_dataset(folder_); }).find("bad magic number"), std::string::npos);
  write("train-labels-idx1-ubyte", idx_labels({1, 2}) + "extra");
  EXPECT_NE(error_of([&] { read_idx_dataset(folder_); }).find("promises 2 values, the file holds 7"),
            std::string::npos);
  write("train-labels-idx1-ubyte", idx_labels({1, 2}));
  write("t10k-images-idx3-ubyte", idx_images(1, 3, 3, 0));
  EXPECT_NE(error_of([&] { read_idx_dataset(folder_); }).find("images of 9 pixels"), std::string::npos);
}

TEST_F(DataLoaderTest, LoadDatasetPicksTheFormat) {
  EXPECT_EQ(load_dataset(write("t.csv", "x,y\n1,2\n"), std::nullopt).n_rows(), 1u);
  EXPECT_NE(error_of([&] { load_dataset(folder_ / "nothing", std::nullopt); }).find("does not exist"),
            std::string::npos);
  EXPECT_NE(error_of([&] { load_dataset(folder_, std::string("y")); }).find("is a folder of IDX files"),
            std::string::npos);
}

TEST(BundledData, DigitsTable) {
  const Dataset data = read_csv_dataset(cli_test::digits_csv(), std::string("target"));
  EXPECT_EQ(data.n_rows(), 1797u);
  EXPECT_EQ(data.n_features(), 64u);
  EXPECT_EQ(data.n_classes(), 10);
  EXPECT_EQ(data.feature_names[63], "pixel_63");
}

TEST(BundledData, FashionMnistFromDebian) {
  if (!fs::exists(cli_test::fashion_mnist_folder())) {
    GTEST_SKIP() << "Debian's dataset-fashion-mnist is not installed";
  }
  const Dataset data = read_idx_dataset(cli_test::fashion_mnist_folder());
  EXPECT_EQ(data.n_rows(), 70000u);
  EXPECT_EQ(data.n_features(), 784u);
  EXPECT_EQ(data.n_classes(), 10);
}

// Rows whose first feature is their row number, so that a split can be traced.
Dataset numbered_rows(std::size_t n) {
  Dataset data;
  data.feature_names = {"id", "constant"};
  data.class_names = {"0", "1", "2"};
  for (std::size_t i = 0; i < n; ++i) {
    data.features.push_back(static_cast<float>(i));
    data.features.push_back(3.0f);
    data.labels.push_back(static_cast<int>(i % 3));
  }
  return data;
}

std::vector<float> ids(const Dataset& part) {
  std::vector<float> result;
  for (std::size_t i = 0; i < part.n_rows(); ++i) result.push_back(part.row(i)[0]);
  return result;
}

TEST(Split, SizesPartitionAndSeed) {
  const Dataset data = numbered_rows(100);
  SplitOptions options;
  options.valid_fraction = 0.2;
  options.test_fraction = 0.1;
  options.seed = 5;
  const DataSplit split = split_dataset(data, options);
  EXPECT_EQ(split.train.n_rows(), 70u);
  EXPECT_EQ(split.valid.n_rows(), 20u);
  EXPECT_EQ(split.test.n_rows(), 10u);
  std::set<float> seen;
  for (const Dataset* part : {&split.train, &split.valid, &split.test}) {
    for (float id : ids(*part)) {
      EXPECT_TRUE(seen.insert(id).second) << "row " << id << " appears twice";
    }
  }
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_EQ(ids(split_dataset(data, options).valid), ids(split.valid));
  options.seed = 6;
  EXPECT_NE(ids(split_dataset(data, options).valid), ids(split.valid));
  // Labels travel with their rows.
  for (std::size_t i = 0; i < split.train.n_rows(); ++i) {
    EXPECT_EQ(split.train.labels[i], static_cast<int>(split.train.row(i)[0]) % 3);
  }
}

TEST(Split, MaxRowsAndBadFractions) {
  const Dataset data = numbered_rows(100);
  SplitOptions options;
  options.max_rows = 10;
  const DataSplit split = split_dataset(data, options);
  EXPECT_EQ(split.train.n_rows() + split.valid.n_rows(), 10u);
  EXPECT_EQ(split.test.n_rows(), 0u);
  for (auto [valid, test] : {std::pair{0.0, 0.0}, std::pair{1.0, 0.0}, std::pair{0.5, 0.5}, std::pair{0.2, -0.1}}) {
    SplitOptions bad;
    bad.valid_fraction = valid;
    bad.test_fraction = test;
    EXPECT_THROW(split_dataset(data, bad), ValueError) << valid << " " << test;
  }
  SplitOptions too_small;
  too_small.valid_fraction = 0.2;
  EXPECT_THROW(split_dataset(numbered_rows(2), too_small), ValueError);
}

TEST(Split, StandardizeOnTrainingStatistics) {
  SplitOptions options;
  options.valid_fraction = 0.25;
  DataSplit split = split_dataset(numbered_rows(40), options);
  standardize_features(split);
  double sum = 0, square_sum = 0;
  for (std::size_t i = 0; i < split.train.n_rows(); ++i) {
    sum += split.train.row(i)[0];
    square_sum += split.train.row(i)[0] * split.train.row(i)[0];
    EXPECT_EQ(split.train.row(i)[1], 0.0f);  // a constant feature is only centered
  }
  const double n = static_cast<double>(split.train.n_rows());
  EXPECT_NEAR(sum / n, 0.0, 1e-5);
  EXPECT_NEAR(square_sum / n, 1.0, 1e-4);
  EXPECT_EQ(split.valid.row(0)[1], 0.0f);
}

}  // namespace
}  // namespace hpo::cli
