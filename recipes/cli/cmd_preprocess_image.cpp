// `softprompt preprocess-image --image FILE --outputs OUT.safetensors [--size 224]`: CLIP's preprocessing
// (modalities/vision/clip_preprocess.h) of one image. Writes crop_u8_hwc [1,S,S,3] uint8 (after resize +
// centre crop) and pixel_values [1,3,S,S] float32 (normalised), the resize and crop geometry as metadata.
#include <iostream>
#include <memory>
#include <string>

#include "core/io/safetensors.h"
#include "modalities/vision/clip_preprocess.h"
#include "recipes/cli/command.h"

namespace softprompt::cli {
namespace {

struct PreprocessArgs {
  std::string image;
  std::string outputs;
  int64_t size = 224;
};

int run_preprocess(const PreprocessArgs& args) {
  modalities::vision::ClipPreprocessOptions options;
  options.size = args.size;
  const auto p = modalities::vision::clip_preprocess_file(args.image, options);
  core::io::save_safetensors(args.outputs,
                             {{"crop_u8_hwc", p.crop_u8.unsqueeze(0)}, {"pixel_values", p.pixel_values.unsqueeze(0)}},
                             {{"image", args.image},
                              {"resized_wh", std::to_string(p.resized_w) + "," + std::to_string(p.resized_h)},
                              {"crop_top_left", std::to_string(p.crop_top) + "," + std::to_string(p.crop_left)}});
  std::cout << "preprocess-image: " << args.image << " -> resized " << p.resized_w << "x" << p.resized_h
            << ", crop at (" << p.crop_top << "," << p.crop_left << ") -> " << args.outputs << "\n";
  return 0;
}

Registration reg("preprocess-image", "CLIP image preprocessing (PIL-exact resize, centre crop, normalise)",
                 [](CLI::App& sub) {
                   auto args = std::make_shared<PreprocessArgs>();
                   sub.add_option("--image", args->image, "image file (PNG, JPEG, ...)")->required();
                   sub.add_option("--outputs", args->outputs, "safetensors to write (atomically)")->required();
                   sub.add_option("--size", args->size, "shorter side after resize = crop side")
                       ->check(CLI::Range(int64_t{1}, int64_t{4096}));
                   return [args]() -> int { return run_preprocess(*args); };
                 });

}  // namespace
}  // namespace softprompt::cli
