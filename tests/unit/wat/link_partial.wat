;; Instantiation fails at the last data segment (out of bounds). The spec
;; applies element segments, then data segments, in order, and keeps what
;; was written to imported objects before the trap.
(module
  (import "lib" "mem" (memory 1))
  (import "lib" "tab" (table 2 funcref))
  (func $f)
  (elem (i32.const 1) $f)
  (data (i32.const 100) "written")
  (data (i32.const 65535) "xx"))
