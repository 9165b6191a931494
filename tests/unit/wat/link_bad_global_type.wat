;; link_lib's "glob_mut" is an i32.
(module (import "lib" "glob_mut" (global (mut i64))))
