;; Segments all fit; the start function writes, then traps.
(module
  (import "lib" "mem" (memory 1))
  (data (i32.const 300) "seg")
  (func $start_then_trap
    i32.const 400
    i32.const 0x2a
    i32.store
    unreachable)
  (start $start_then_trap))
