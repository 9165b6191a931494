;; link_lib's "add" is a function, not a memory.
(module (import "lib" "add" (memory 1)))
