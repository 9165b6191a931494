;; The embedding API's view of a module without imports: every value type
;; in and out of a call, memory and globals reachable from the host.
(module
  (memory (export "memory") 1 4)
  (table (export "table") 2 funcref)
  (global $counter (export "counter") (mut i32) (i32.const 0))
  (global (export "answer") i64 (i64.const 42))

  (func (export "add") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.add)

  ;; All four summed as f64 (exactly representable) so that one result
  ;; shows every argument arrived with its type.
  (func (export "mix") (param i32 i64 f32 f64) (result f64)
    local.get 0
    f64.convert_i32_s
    local.get 1
    f64.convert_i64_s
    f64.add
    local.get 2
    f64.promote_f32
    f64.add
    local.get 3
    f64.add)

  (func (export "swap") (param i64 i32) (result i32 i64)
    local.get 1
    local.get 0)

  ;; No arithmetic: NaN payloads must come back bit for bit.
  (func (export "id_f32") (param f32) (result f32) local.get 0)
  (func (export "id_f64") (param f64) (result f64) local.get 0)
  (func (export "id_ref") (param externref) (result externref) local.get 0)

  (func $nop (export "nop"))

  (func (export "div") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.div_s)

  ;; Its local starts at zero on every call: the call writes the 1000 to
  ;; the local's slot where it is kept in a register.
  (func (export "fresh") (param i32 i32) (result i32) (local $l i32)
    local.get $l
    local.get 0
    i32.add
    local.get 1
    i32.add
    i32.const 1000
    local.set $l
    call $nop)

  (func (export "load") (param i32) (result i32)
    local.get 0
    i32.load)

  (func (export "store") (param i32 i32)
    local.get 0
    local.get 1
    i32.store)

  (func (export "grow") (param i32) (result i32)
    local.get 0
    memory.grow)

  (func (export "size") (result i32) memory.size)

  (func (export "bump") (result i32)
    global.get $counter
    i32.const 1
    i32.add
    global.set $counter
    global.get $counter))
