#pragma once

// Declares an option with a chained setter and a getter, as LibTorch's TORCH_ARG does:
//   struct FooOptions { HPO_ARG(int, size) = 3; };
//   FooOptions().size(5).size()  // == 5
#define HPO_ARG(T, name)                                   \
 public:                                                   \
  inline auto name(const T& new_##name)->decltype(*this) { \
    this->name##_ = new_##name;                            \
    return *this;                                          \
  }                                                        \
  inline const T& name() const noexcept { return this->name##_; } \
                                                           \
 private:                                                  \
  T name##_
