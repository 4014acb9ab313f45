#include "recipes/common/pretrain_clip_config.h"

namespace softprompt::recipes::pretrain_clip {

core::config::Schema<Config> schema() {
  auto tr = [](auto member) {
    return [member](Config & c) -> auto& { return c.train.*member; };
  };
  using T = core::trainer::TrainerOptions;
  core::config::Schema<Config> s;
  s.add_required("data.dir", &Config::data_dir,
                 "folder with fashion-mnist/ and mnist/ (scripts/fetch_data.sh)")
      .add("output.dir", &Config::output_dir, "", "where the model goes; empty = <cache>/starter/clip")
      .add("output.force", &Config::force, false,
           "retrain even when a finished model with these settings exists")
      .add("data.fashion_images", &Config::fashion_images, 20000, "Fashion-MNIST train images used")
      .add("data.mnist_images", &Config::mnist_images, 6000, "MNIST train-part images used")
      .add("data.shape_images", &Config::shape_images, 12000, "synthetic shape scenes rendered")
      .add("data.dev_images", &Config::dev_images, 500, "held-out images per set for the zero-shot check")
      .add("model.image_size", &Config::image_size, 32, "input side in pixels")
      .add("model.patch_size", &Config::patch_size, 8, "ViT patch side")
      .add("model.vision_width", &Config::vision_width, 128, "image tower width")
      .add("model.vision_layers", &Config::vision_layers, 2, "image tower blocks")
      .add("model.vision_heads", &Config::vision_heads, 4, "image tower heads")
      .add("model.text_width", &Config::text_width, 128, "text tower width")
      .add("model.text_layers", &Config::text_layers, 2, "text tower blocks")
      .add("model.text_heads", &Config::text_heads, 4, "text tower heads")
      .add("model.context", &Config::context, 24, "text positions (captions are cut to it)")
      .add("model.projection_dim", &Config::projection_dim, 128, "joint embedding width")
      .add("train.max_steps", tr(&T::max_steps), 600, "optimizer steps")
      .add("train.batch_size", tr(&T::batch_size), 64, "image-caption pairs per step")
      .add("train.lr", tr(&T::lr), 1e-3, "peak learning rate (AdamW, cosine)")
      .add("train.warmup_steps", tr(&T::warmup_steps), 30, "linear warm-up")
      .add("train.weight_decay", tr(&T::weight_decay), 0.1, "AdamW decay")
      .add("train.grad_clip", tr(&T::grad_clip), 1.0, "global norm clip")
      .add("train.eval_every", tr(&T::eval_every), 150, "steps between zero-shot checks")
      .add("train.seed", tr(&T::seed), uint64_t{1234}, "seed of data, captions, init and order");
  return s;
}

}  // namespace softprompt::recipes::pretrain_clip
