// Compiles nothing itself: its target, hpo_torch_pch, owns the precompiled LibTorch header
// that cmake/torch_pch.cmake lends to every target linking LibTorch.
