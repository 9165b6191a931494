;; One import of each kind, each used by an export, so that definitions
;; made through the API can be seen working.
(module
  (import "env" "host_fn" (func $host_fn (param i32 i64) (result f32)))
  (import "env" "host_mem" (memory 1))
  (import "env" "host_tab" (table 3 funcref))
  (import "env" "host_g" (global $host_g (mut i32)))

  (func (export "call_fn") (result f32)
    i32.const 7
    i64.const 8
    call $host_fn)
  (func (export "peek") (param i32) (result i32)
    local.get 0
    i32.load)
  (func (export "tab_size") (result i32) table.size 0)
  (func (export "get_g") (result i32) global.get $host_g)
  (func (export "set_g") (param i32)
    local.get 0
    global.set $host_g))
