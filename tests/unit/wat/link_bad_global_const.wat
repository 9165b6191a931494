;; link_lib's "glob_const" is immutable; a mutable import of it does not match.
(module (import "lib" "glob_const" (global (mut i64))))
