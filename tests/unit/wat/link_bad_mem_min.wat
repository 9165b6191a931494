;; link_lib's memory has 1 page, fewer than the 2 required.
(module (import "lib" "mem" (memory 2)))
