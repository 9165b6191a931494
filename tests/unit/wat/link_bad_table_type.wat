;; link_lib's table holds funcrefs, not externrefs.
(module (import "lib" "tab" (table 2 externref)))
