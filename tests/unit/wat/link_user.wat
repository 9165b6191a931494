;; Imports link_lib's function, table and globals but has a memory of its
;; own, so calls into link_lib must run with link_lib's memory.
(module
  (import "lib" "add" (func $add (param i32 i32) (result i32)))
  (import "lib" "tab" (table 2 funcref))
  (import "lib" "glob_mut" (global $g (mut i32)))
  (import "lib" "glob_const" (global $c i64))
  (type $to_i32 (func (param i32) (result i32)))
  (memory 1)
  (data (i32.const 0) "user")

  (func (export "use_add") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    call $add)
  (func (export "call_tab") (param $slot i32) (param $x i32) (result i32)
    local.get $x
    local.get $slot
    call_indirect (type $to_i32))
  (func (export "set_g") (param i32)
    local.get 0
    global.set $g)
  (func (export "get_c") (result i64) global.get $c)
  (func (export "own_load") (param i32) (result i32)
    local.get 0
    i32.load)
  ;; Puts our own function into the shared table.
  (func $mine (param i32) (result i32)
    i32.const 1000
    local.get 0
    i32.add)
  (elem declare func $mine)
  (func (export "install") (param i32)
    local.get 0
    ref.func $mine
    table.set 0))
