;; Compute kernels for the threads test: results are easy to check in C,
;; and "sieve" uses the instance's own memory, so sharing would show.
(module
  (memory 1)

  (func (export "fib") (param $n i32) (result i64)
    (local $a i64) (local $b i64) (local $t i64)
    i64.const 1
    local.set $b
    block $done
      loop $next
        local.get $n
        i32.eqz
        br_if $done
        local.get $a
        local.get $b
        i64.add
        local.set $t
        local.get $b
        local.set $a
        local.get $t
        local.set $b
        local.get $n
        i32.const 1
        i32.sub
        local.set $n
        br $next
      end
    end
    local.get $a)

  (func $fib_rec (export "fib_rec") (param $n i32) (result i32)
    local.get $n
    i32.const 2
    i32.lt_u
    if (result i32)
      local.get $n
    else
      local.get $n
      i32.const 1
      i32.sub
      call $fib_rec
      local.get $n
      i32.const 2
      i32.sub
      call $fib_rec
      i32.add
    end)

  ;; Primes below $n (at most 65536), marking composites with byte $mark
  ;; so that a thread sees only its own marks.
  (func (export "sieve") (param $n i32) (param $mark i32) (result i32)
    (local $i i32) (local $j i32) (local $count i32)
    i32.const 0
    i32.const 0
    local.get $n
    memory.fill
    i32.const 2
    local.set $i
    block $done
      loop $outer
        local.get $i
        local.get $n
        i32.ge_u
        br_if $done
        local.get $i
        i32.load8_u
        i32.eqz
        if
          local.get $count
          i32.const 1
          i32.add
          local.set $count
          local.get $i
          local.get $i
          i32.mul
          local.set $j
          block $marked
            loop $mark_loop
              local.get $j
              local.get $n
              i32.ge_u
              br_if $marked
              local.get $j
              local.get $mark
              i32.store8
              local.get $j
              local.get $i
              i32.add
              local.set $j
              br $mark_loop
            end
          end
        end
        local.get $i
        i32.const 1
        i32.add
        local.set $i
        br $outer
      end
    end
    local.get $count)

  (func (export "peek8") (param i32) (result i32)
    local.get 0
    i32.load8_u))
