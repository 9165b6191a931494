;; A data segment placed by an imported global.
(module
  (import "env" "base" (global i32))
  (memory 1)
  (data (global.get 0) "hi")
  (func (export "load16") (param i32) (result i32)
    local.get 0
    i32.load16_u))
