;; memory.grow under --max-memory.
(module
  (memory (export "memory") 1)
  (func (export "grow") (param $pages i32) (result i32)
    (memory.grow (local.get $pages)))
  (func (export "size") (result i32)
    (memory.size)))
