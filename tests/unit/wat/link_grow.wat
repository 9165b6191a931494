;; Shares link_lib's memory and has link_lib grow it in the middle of a
;; function: the new page must be usable on return.
(module
  (import "lib" "mem" (memory 1))
  (import "lib" "grow" (func $lib_grow (param i32) (result i32)))
  (func (export "grow_via_lib_then_store") (result i32)
    i32.const 1
    call $lib_grow
    drop
    i32.const 65540
    i32.const 0x5eed
    i32.store
    i32.const 65540
    i32.load))
