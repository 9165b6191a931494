;; The compiling tier: "ping" is compiled, "pong" (SIMD) stays
;; interpreted, and they call each other; "mix" exercises integer, float,
;; memory and conversion instructions for a comparison of both tiers;
;; "ind" calls through the table: compiled code calls compiled functions
;; of its own instance and type itself, and leaves everything else to
;; the interpreter.
(module
  (memory 1)
  (type $ii (func (param i32) (result i32)))
  (table 8 funcref)
  ;; 5 and 7 stay null
  (elem (i32.const 0) $ping $pong $zeroed $other $rec)
  (elem (i32.const 6) $dirty)

  (func $ping (export "ping") (param $n i32) (result i32)
    local.get $n
    i32.eqz
    if (result i32)
      i32.const 0
    else
      local.get $n
      i32.const 1
      i32.sub
      call $pong
      i32.const 1
      i32.add
    end)

  (func $pong (export "pong") (param $n i32) (result i32)
    local.get $n
    i32x4.splat
    i32x4.extract_lane 2
    call $ping)

  (func (export "mix") (param $n i32) (result i64)
    (local $i i32) (local $acc i64) (local $f f64) (local $g f32)
    f32.const 1.5
    local.set $g
    block $done
      loop $next
        local.get $i
        local.get $n
        i32.ge_u
        br_if $done
        ;; memory: a word per step, read back through narrower loads
        local.get $i
        i32.const 2
        i32.shl
        i32.const 4096
        i32.rem_u
        local.get $i
        i32.const -1640531535
        i32.mul
        i32.store offset=16
        local.get $acc
        i64.const 31
        i64.mul
        local.get $i
        i32.const 2
        i32.shl
        i32.const 4096
        i32.rem_u
        i64.load16_s offset=17
        i64.add
        ;; integer division both ways
        local.get $i
        i32.const 7
        i32.add
        local.get $i
        i32.const 1
        i32.or
        i32.div_s
        i64.extend_i32_s
        i64.xor
        local.get $i
        i64.extend_i32_u
        i64.const 13
        i64.rem_u
        i64.const 5
        i64.rotl
        i64.add
        local.set $acc
        ;; floats, through helpers and inline code
        local.get $f
        local.get $i
        f64.convert_i32_s
        f64.const 3
        f64.div
        f64.add
        f64.sqrt
        local.get $i
        f64.convert_i32_u
        f64.max
        local.set $f
        local.get $g
        f32.const 1.25
        f32.mul
        f32.const 1000
        f32.min
        local.tee $g
        f32.const 2
        f32.gt
        i64.extend_i32_u
        local.get $acc
        i64.add
        local.get $f
        i64.trunc_sat_f64_s
        i64.add
        local.set $acc
        local.get $i
        i32.const 1
        i32.add
        local.set $i
        br $next
      end
    end
    local.get $acc
    local.get $f
    i64.reinterpret_f64
    i64.xor
    local.get $g
    i32.reinterpret_f32
    i64.extend_i32_u
    i64.add)

  ;; b of the sub comes from the add just before (_fb), and the constant a
  ;; is written to its slot in between: that move must not clobber it.
  (func (export "fb_after_const") (param $x i64) (result i64)
    i64.const 0x123456789
    local.get $x
    i64.const 1
    i64.add
    i64.sub)

  (func (export "ind") (param $i i32) (param $n i32) (result i32)
    local.get $n
    local.get $i
    call_indirect (type $ii))

  ;; Recursion through the table, all of it compiled.
  (func $rec (param $n i32) (result i32)
    local.get $n
    i32.eqz
    if (result i32)
      i32.const 0
    else
      local.get $n
      i32.const 1
      i32.sub
      i32.const 4
      call_indirect (type $ii)
      i32.const 1
      i32.add
    end)

  (func $other (param i64) (result i64)
    local.get 0)

  ;; Leaves its locals' slots non-zero (the call writes them back).
  (func $dirty (param $n i32) (result i32)
    (local $a i32) (local $b i64) (local $c i32) (local $d i64)
    i32.const -1
    local.set $a
    i64.const -1
    local.set $b
    i32.const -1
    local.set $c
    i64.const -1
    local.set $d
    i32.const 0
    call $ping
    drop
    local.get $a
    local.get $c
    i32.add
    local.get $b
    local.get $d
    i64.add
    i32.wrap_i64
    i32.add)

  ;; Declared locals start at zero: n back, whatever was in their slots.
  (func $zeroed (param $n i32) (result i32)
    (local $a i32) (local $b i64) (local $c i32) (local $d i64)
    local.get $n
    local.get $a
    i32.add
    local.get $b
    i32.wrap_i64
    i32.add
    local.get $c
    i32.add
    local.get $d
    i32.wrap_i64
    i32.add)

  ;; n taken back-edges, then a load past the memory: the fault unwinds
  ;; past compiled code, which must have charged the loop's fuel.
  (func (export "spin_then_fault") (param $n i32) (result i32)
    loop $again
      local.get $n
      i32.const 1
      i32.sub
      local.tee $n
      br_if $again
    end
    i32.const -16
    i32.load)

  ;; n compiled calls deep, a trap of kind k (0 unreachable, 1 a load
  ;; past the memory, 2 in an interpreted callee, 3 an endless loop for
  ;; fuel to end), or none (4): k back.
  (func $chain (export "chain") (param $n i32) (param $k i32) (result i32)
    local.get $n
    if (result i32)
      local.get $n
      i32.const 1
      i32.sub
      local.get $k
      call $chain
    else
      local.get $k
      call $chain_end
    end)

  (func $chain_end (param $k i32) (result i32)
    block $ok
      block $spin
        block $interp
          block $fault
            block $trap
              local.get $k
              br_table $trap $fault $interp $spin $ok
            end
            unreachable
          end
          i32.const -16
          i32.load
          return
        end
        local.get $k
        call $simd_trap
        return
      end
      loop $again
        br $again
      end
    end
    local.get $k)

  (func $simd_trap (param $k i32) (result i32)
    local.get $k
    i32x4.splat
    i32x4.extract_lane 0
    unreachable))
