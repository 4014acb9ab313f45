#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstring>

#include "core/errors.h"
#include "core/io/safetensors.h"

using namespace softprompt;
using namespace softprompt::core::io;

namespace {

std::string header_file(const std::string& json, const std::string& data) {
  std::string out(8, '\0');
  uint64_t n = json.size();
  std::memcpy(out.data(), &n, 8);
  return out + json + data;
}

}  // namespace

TEST(Safetensors, RoundTripAllDtypes) {
  TensorMap in;
  in["f32"] = torch::randn({3, 4});
  in["f16"] = torch::randn({5}).to(torch::kHalf);
  in["bf16"] = torch::randn({2, 2}).to(torch::kBFloat16);
  in["i64"] = torch::arange(7, torch::kLong);
  in["i32"] = torch::arange(3, torch::kInt);
  in["u8"] = torch::arange(9, torch::kByte).view({3, 3});
  in["bool"] = torch::tensor({true, false, true});
  in["scalar"] = torch::tensor(2.5f);
  in["empty"] = torch::zeros({0, 3});
  auto f = SafetensorsFile::from_bytes(serialize_safetensors(in, {{"format", "pt"}}));
  EXPECT_EQ(f.metadata().at("format"), "pt");
  for (const auto& [k, v] : in) {
    auto t = f.tensor(k);
    EXPECT_EQ(t.scalar_type(), v.scalar_type()) << k;
    EXPECT_TRUE(torch::equal(t, v)) << k;
  }
}

TEST(Safetensors, ReadsFixtureFile) {
  SafetensorsFile f(std::string(SOFTPROMPT_TEST_FIXTURES) + "/gpt2/model/model.safetensors");
  EXPECT_EQ(f.info("transformer.wte.weight").shape, (std::vector<int64_t>{1000, 32}));
  EXPECT_EQ(f.tensor("transformer.wte.weight").scalar_type(), torch::kFloat);
}

TEST(Safetensors, RejectsMalformedFiles) {
  const std::string ok_json = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::string data(8, '\0');
  EXPECT_NO_THROW(SafetensorsFile::from_bytes(header_file(ok_json, data)));
  // truncated: data shorter than the offsets say
  EXPECT_THROW(SafetensorsFile::from_bytes(header_file(ok_json, data.substr(0, 5))), InputError);
  // shorter than the length prefix
  EXPECT_THROW(SafetensorsFile::from_bytes("abc"), InputError);
  // huge header length
  std::string huge(8, '\xff');
  EXPECT_THROW(SafetensorsFile::from_bytes(huge + "{}"), InputError);
  // header length past the end of file
  std::string past(8, '\0');
  past[0] = 100;
  EXPECT_THROW(SafetensorsFile::from_bytes(past + "{}"), InputError);
  // not JSON
  EXPECT_THROW(SafetensorsFile::from_bytes(header_file("{not json", data)), InputError);
  // overlapping offsets
  EXPECT_THROW(SafetensorsFile::from_bytes(header_file(
                   R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                   data)),
               InputError);
  // wrong dtype size: 2 F64 elements need 16 bytes, not 8
  EXPECT_THROW(SafetensorsFile::from_bytes(
                   header_file(R"({"a":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}})", data)),
               InputError);
  // unknown dtype, negative dimension, begin > end, trailing bytes
  EXPECT_THROW(SafetensorsFile::from_bytes(
                   header_file(R"({"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}})", data)),
               InputError);
  EXPECT_THROW(SafetensorsFile::from_bytes(
                   header_file(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", data)),
               InputError);
  EXPECT_THROW(SafetensorsFile::from_bytes(
                   header_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", data)),
               InputError);
  EXPECT_THROW(SafetensorsFile::from_bytes(header_file(ok_json, data + "xx")), InputError);
  // metadata values must be strings
  EXPECT_THROW(SafetensorsFile::from_bytes(header_file(R"({"__metadata__":{"a":1}})", "")), InputError);
}

TEST(Safetensors, MissingFileIsIoError) {
  EXPECT_THROW(SafetensorsFile("/nonexistent/x.safetensors"), IoError);
}
