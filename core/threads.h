#pragma once
// LibTorch 1.13 starts with one intra-op thread on these machines: every executable calls this at start.
namespace softprompt::core {
// Sets LibTorch's intra-op threads to `requested`, or (when <= 0) to $SOFTPROMPT_THREADS, else the
// machine's hardware concurrency. Returns the number set.
int configure_threads(int requested = 0);
}  // namespace softprompt::core
