;; The exporting side of the linking tests: one export of each kind.
(module
  (memory (export "mem") 1 2)
  (data (i32.const 0) "lib!")
  (table (export "tab") 2 funcref)
  (elem (i32.const 0) $own_load)
  (global $g (export "glob_mut") (mut i32) (i32.const 5))
  (global (export "glob_const") i64 (i64.const -7))

  (func (export "add") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.add)
  ;; Reads this instance's memory whoever calls it.
  (func $own_load (export "own_load") (param i32) (result i32)
    local.get 0
    i32.load)
  (func (export "get_g") (result i32) global.get $g)
  (func (export "grow") (param i32) (result i32)
    local.get 0
    memory.grow))
