;; Guests that run into the store's limits: endless loops, counted loops,
;; recursion, memory growth.
(module
  (memory 1)
  (global $iters (mut i64) (i64.const 0))

  ;; Endless; counts its iterations so that the work done before a fuel
  ;; or interrupt trap is visible afterwards.
  (func $spin (export "spin")
    loop $again
      global.get $iters
      i64.const 1
      i64.add
      global.set $iters
      br $again
    end)
  (func (export "iters") (result i64) global.get $iters)

  ;; Endless, with a call on every iteration and no loop in the callee.
  (func $leaf)
  (func $spin_calls (export "spin_calls")
    loop $again
      call $leaf
      br $again
    end)

  (func (export "count") (param $n i32) (result i32)
    (local $i i32)
    block $done
      loop $next
        local.get $i
        local.get $n
        i32.ge_u
        br_if $done
        local.get $i
        i32.const 1
        i32.add
        local.set $i
        br $next
      end
    end
    local.get $i)

  (func $depth (export "depth") (param $n i32) (result i32)
    local.get $n
    i32.eqz
    if (result i32)
      i32.const 0
    else
      local.get $n
      i32.const 1
      i32.sub
      call $depth
      i32.const 1
      i32.add
    end)

  (func $forever (export "forever") (param i32) (result i32)
    local.get 0
    i32.const 1
    i32.add
    call $forever)

  ;; Endless recursion with big frames: the value stack fills first.
  (func $fat (export "fat") (param i32) (result i32)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    local.get 0
    i32.const 1
    i32.add
    call $fat)

  (func (export "load") (param i32) (result i32)
    local.get 0
    i32.load)
  (func (export "div") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.div_u)

  (func (export "grow") (param i32) (result i32)
    local.get 0
    memory.grow)
  (func (export "size") (result i32) memory.size))
