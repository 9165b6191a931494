;; One export per kind of trap; `nested` shows a two-frame backtrace.
(module
  (memory 1)
  (func $inner (export "unreachable")
    unreachable)
  (func $outer (export "nested")
    call $inner)
  (func (export "div0") (param i32) (result i32)
    (i32.div_s (i32.const 1) (local.get 0)))
  (func (export "oob") (result i32)
    (i32.load (i32.const 70000))))
