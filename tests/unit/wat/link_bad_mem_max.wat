;; link_lib's memory may grow to 2 pages, more than the maximum 1 allowed.
(module (import "lib" "mem" (memory 1 1)))
