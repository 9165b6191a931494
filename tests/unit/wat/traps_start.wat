;; A start function that traps: instantiation must fail with a trap.
(module
  (func $boom
    i32.const 1
    i32.const 0
    i32.div_u
    drop)
  (start $boom))
