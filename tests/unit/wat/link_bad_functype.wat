;; link_lib's "add" takes (i32 i32).
(module (import "lib" "add" (func (param i64 i32) (result i32))))
