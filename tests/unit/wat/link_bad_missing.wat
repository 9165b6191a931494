;; link_lib has no export "nope".
(module (import "lib" "nope" (func)))
