// Empty on purpose: the CUDA built-ins come from the force-included cuda_on_cpu.h.
#pragma once
