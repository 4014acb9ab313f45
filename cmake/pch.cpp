// Translation unit that carries the precompiled LibTorch header (see cmake/softprompt.cmake).
