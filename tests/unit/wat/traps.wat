;; One export per trap kind, plus state the tests inspect after a trap.
;; Function names ($...) reach the name section (wat2wasm --debug-names).
(module
  (type $to_i32 (func (param i32) (result i32)))
  (type $void (func))
  (memory (export "memory") 1)
  ;; Slot 0: right type, slot 1: wrong type, slot 2: null.
  (table $t 3 funcref)
  (elem (i32.const 0) $square $nothing)
  (global $g (mut i32) (i32.const 0))

  (func $square (type $to_i32)
    local.get 0
    local.get 0
    i32.mul)
  (func $nothing (type $void))

  ;; Not exported: only the name section knows this name.
  (func $hidden_unreachable
    unreachable)
  (func (export "unreachable")
    call $hidden_unreachable)

  (func $load_at (export "load_at") (param i32) (result i32)
    local.get 0
    i32.load)
  ;; The effective address (33 bits) must not wrap to a small one.
  ;; The trap happens two calls down: the message must name the callee.
  (func (export "oob_in_callee") (param i32) (result i32)
    local.get 0
    i32.const 1
    i32.add
    call $middle)
  (func $middle (param i32) (result i32)
    local.get 0
    call $load_at)
  (func $load_far (export "load_far") (param i32) (result i32)
    local.get 0
    i32.load offset=0xffffffff)
  (func $load64_at (export "load64_at") (param i32) (result i64)
    local.get 0
    i64.load)
  (func $store_at (export "store_at") (param i32 i32)
    local.get 0
    local.get 1
    i32.store)
  (func $fill (export "fill") (param i32 i32)
    local.get 0
    i32.const 0xaa
    local.get 1
    memory.fill)
  (func $copy (export "copy") (param i32 i32 i32)
    local.get 0
    local.get 1
    local.get 2
    memory.copy)

  (func $indirect (export "indirect") (param $slot i32) (param $x i32) (result i32)
    local.get $x
    local.get $slot
    call_indirect (type $to_i32))
  (func $table_get (export "table_get") (param i32) (result funcref)
    local.get 0
    table.get $t)

  (func $div_s (export "div_s") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.div_s)
  (func $div_u (export "div_u") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.div_u)
  (func $rem_s (export "rem_s") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.rem_s)
  (func $rem_u (export "rem_u") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.rem_u)
  (func $div_s64 (export "div_s64") (param i64 i64) (result i64)
    local.get 0
    local.get 1
    i64.div_s)
  (func $rem_s64 (export "rem_s64") (param i64 i64) (result i64)
    local.get 0
    local.get 1
    i64.rem_s)

  (func $trunc_f32_s (export "trunc_f32_s") (param f32) (result i32)
    local.get 0
    i32.trunc_f32_s)
  (func $trunc_f64_u (export "trunc_f64_u") (param f64) (result i32)
    local.get 0
    i32.trunc_f64_u)
  (func $trunc_f64_s64 (export "trunc_f64_s64") (param f64) (result i64)
    local.get 0
    i64.trunc_f64_s)
  ;; The saturating forms never trap.
  (func $trunc_sat (export "trunc_sat") (param f32) (result i32)
    local.get 0
    i32.trunc_sat_f32_s)

  (func $recurse_forever (export "recurse_forever") (param i32) (result i32)
    local.get 0
    i32.const 1
    i32.add
    call $recurse_forever)

  (func $fac (export "fac") (param i64) (result i64)
    local.get 0
    i64.eqz
    if (result i64)
      i64.const 1
    else
      local.get 0
      local.get 0
      i64.const 1
      i64.sub
      call $fac
      i64.mul
    end)

  ;; State changes made before a trap stay: the spec has no rollback.
  (func $bump_then_trap (export "bump_then_trap")
    global.get $g
    i32.const 1
    i32.add
    global.set $g
    i32.const 0
    i32.const 77
    i32.store
    unreachable)
  (func (export "get_g") (result i32) global.get $g)

  (func (export "ok") (result i32) i32.const 42))
