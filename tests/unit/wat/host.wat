;; Guest side of the host function tests: each import is called by an
;; export with the same shape, so a test can drive it from the API.
(module
  (import "env" "add" (func $add (param i32 i32) (result i32)))
  (import "env" "wide" (func $wide (param i64 f32 f64) (result i64 f32 f64)))
  (import "env" "probe" (func $probe))
  (import "env" "sum_bytes" (func $sum_bytes (param i32 i32) (result i32)))
  (import "env" "fill" (func $fill (param i32 i32 i32)))
  (import "env" "callback" (func $callback (param i32) (result i32)))
  (import "env" "fail" (func $fail (param i32)))
  (import "env" "quit" (func $quit (param i32)))
  (import "env" "ref_id" (func $ref_id (param externref) (result externref)))
  (import "env" "grow" (func $grow (result i32)))

  (type $binop (func (param i32 i32) (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $add)

  (memory (export "memory") 1)
  (data (i32.const 16) "hello\00")
  ;; The last bytes of memory, with no NUL after them.
  (data (i32.const 65530) "abcdef")

  ;; The host function itself, exported: callable straight from the API.
  (export "add" (func $add))

  (func (export "call_add") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    call $add)

  (func (export "call_wide") (param i64 f32 f64) (result i64 f32 f64)
    local.get 0
    local.get 1
    local.get 2
    call $wide)

  (func (export "probe") call $probe)

  (func (export "grow_then_probe")
    i32.const 1
    memory.grow
    drop
    call $probe)

  (func (export "sum_bytes") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    call $sum_bytes)

  ;; The host fills [addr, addr+len) with `byte`; the guest then reads the
  ;; last byte back, after the host returned.
  (func (export "fill_then_load") (param $addr i32) (param $len i32) (param $byte i32)
                                  (result i32)
    local.get $addr
    local.get $len
    local.get $byte
    call $fill
    local.get $addr
    local.get $len
    i32.add
    i32.const 1
    i32.sub
    i32.load8_u)

  (func (export "square") (param i32) (result i32)
    local.get 0
    local.get 0
    i32.mul)

  (func (export "via_callback") (param i32) (result i32)
    local.get 0
    call $callback
    i32.const 1
    i32.add)

  ;; n levels of guest -> host -> guest; returns n.
  (func $recurse (export "recurse") (param $n i32) (result i32)
    local.get $n
    i32.eqz
    if (result i32)
      i32.const 0
    else
      local.get $n
      i32.const 1
      i32.sub
      call $callback
      i32.const 1
      i32.add
    end)

  ;; A store the host trap must not undo.
  (func (export "store_then_fail") (param i32)
    i32.const 0
    i32.const 99
    i32.store
    local.get 0
    call $fail)

  (func (export "quit") (param i32)
    local.get 0
    call $quit
    unreachable)

  (func (export "ref_roundtrip") (param externref) (result externref)
    local.get 0
    call $ref_id)

  ;; The host grows memory; the guest must see the new size at once.
  (func (export "host_grow_then_store") (result i32)
    call $grow
    drop
    i32.const 65636
    i32.const 7
    i32.store
    i32.const 65636
    i32.load)

  (func (export "oob") (param i32) (result i32)
    local.get 0
    i32.load)

  ;; After the host returns (having handled a trap below it), this
  ;; function's own out-of-bounds load must still be a clean trap.
  (func (export "callback_then_oob") (param i32) (result i32)
    local.get 0
    call $callback
    drop
    i32.const 65536
    i32.load)

  ;; A host function reached through a table.
  (func (export "indirect_add") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.const 0
    call_indirect (type $binop))

  (func (export "value") (result i32)
    i32.const 0
    i32.load))
