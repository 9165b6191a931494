;; link_lib's "glob_mut" is mutable; an immutable import of it does not match.
(module (import "lib" "glob_mut" (global i32)))
