;; Seeds for the tiers' comparison of whole trap descriptions (function
;; and backtrace): exports that take no argument and trap deep in calls
;; between compiled functions, interpreted ones (SIMD keeps a function
;; interpreted) and both, through direct and indirect calls.
(module
  (memory 1)
  (type $v (func (result i32)))
  (table 4 funcref)
  (elem (i32.const 0) $down $simd_down $fault)
  (global $n (mut i32) (i32.const 0))

  ;; Endless recursion: the call depth limit ends it.
  (func $rec (export "rec") (result i32)
    call $rec)

  ;; Endless recursion through an interpreted function.
  (func $ping (export "ping") (result i32)
    call $pong)
  (func $pong (result i32)
    i32.const 1
    i32x4.splat
    i32x4.extract_lane 0
    drop
    call $ping)

  ;; Endless recursion through the table, both tiers in turn.
  (func $down (export "down") (result i32)
    global.get $n
    i32.const 1
    i32.add
    global.set $n
    global.get $n
    i32.const 1
    i32.and
    call_indirect (type $v))
  (func $simd_down (result i32)
    v128.const i32x4 0 0 0 0
    drop
    i32.const 0
    call_indirect (type $v))

  ;; A load past the memory 30 calls deep.
  (func $fault (export "fault") (result i32)
    global.get $n
    i32.const 1
    i32.add
    global.set $n
    global.get $n
    i32.const 30
    i32.gt_u
    if (result i32)
      i32.const -4
      i32.load
    else
      call $fault
    end)

  ;; Fuel runs out in an endless loop 20 calls deep.
  (func $spin (export "spin") (result i32)
    global.get $n
    i32.const 1
    i32.add
    global.set $n
    global.get $n
    i32.const 20
    i32.gt_u
    if
      loop $l
        br $l
      end
    end
    call $spin)

  ;; A wrong type through the table, deep in the interpreted tier.
  (func $bad (export "bad") (result i32)
    global.get $n
    i32.const 1
    i32.add
    global.set $n
    global.get $n
    i32.const 10
    i32.gt_u
    if (result i32)
      i32.const 7
      i32.const 0
      i32.div_u
    else
      call $bad
    end))
