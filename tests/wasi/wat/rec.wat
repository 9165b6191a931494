;; Unbounded recursion that no compiler turns into a loop.
(module
  (func $recurse (export "recurse") (param $n i32) (result i32)
    (i32.add
      (call $recurse (i32.add (local.get $n) (i32.const 1)))
      (i32.const 1))))
