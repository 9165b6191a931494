;; link_lib's table has 2 elements, fewer than the 3 required.
(module (import "lib" "tab" (table 3 funcref)))
